using Edge.Core;
using Edge.Core.Import;
using Edge.Core.Inference;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Onnx.Proto;
using Edge.Testing;
using Google.Protobuf;
using Xunit;

namespace Edge.Core.Tests.Import;

public class ModelImporterTests
{
    private static ImportOptions Options(string model, string outDir) => new()
    {
        Model = model, OutputDir = outDir, Labels = "a,b,c,d", Mean = NormalizationPresets.Find("imagenet")!.Mean, Std = NormalizationPresets.Find("imagenet")!.Std,
    };

    [Theory]
    [InlineData(OutputKind.Logits)]
    [InlineData(OutputKind.Probabilities)]
    [InlineData(OutputKind.LogProbabilities)]
    public void OutputKindIsReadFromTheGraphAndTheManifestMatchesIt(OutputKind kind)
    {
        using var dir = new TempDir();
        TinyOnnx.WriteLinear(dir.File("m.onnx"), 3, 8, 8, 4, kind, outputName: "prob");
        var result = ModelImporter.Import(Options(dir.File("m.onnx"), dir.File("pkg")));
        var m = ModelPackage.Load(dir.File("pkg")).Manifest;
        Assert.Equal(kind, m.Output.Kind);
        Assert.Equal("prob", m.Output.Name);
        Assert.Equal(new long[] { -1, 3, 8, 8 }, m.Input.Shape);
        Assert.Equal([0.485f, 0.456f, 0.406f], m.Preprocess.Mean);
        Assert.Equal(new[] { "a", "b", "c", "d" }, m.Labels);
        Assert.Contains(kind == OutputKind.Logits ? "probed" : "graph ends in", result.OutputKindEvidence);
    }

    [Fact]
    public void ProbabilitiesWithoutATrailingSoftmaxAreFoundByTheProbe()
    {
        using var dir = new TempDir();
        // Softmax then Mul by 1: the graph's last op is not a Softmax, the outputs still sum to one.
        TinyOnnx.WriteLinear(dir.File("m.onnx"), 1, 4, 4, 4, OutputKind.Probabilities, outputName: "p");
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir.File("m.onnx")));
        model.Graph.Node.Last().Output[0] = "p0";
        model.Graph.Initializer.Add(new TensorProto { Name = "one", DataType = (int)TensorProto.Types.DataType.Float, FloatData = { 1f } });
        model.Graph.Node.Add(new NodeProto { OpType = "Mul", Name = "scale", Input = { "p0", "one" }, Output = { "p" } });
        File.WriteAllBytes(dir.File("m.onnx"), model.ToByteArray());
        var result = ModelImporter.Import(Options(dir.File("m.onnx"), dir.File("pkg")) with { Mean = null, Std = null });
        Assert.Equal(OutputKind.Probabilities, result.Package.Manifest.Output.Kind);
        Assert.Contains("probed", result.OutputKindEvidence);
    }

    [Fact]
    public void ChannelsLastModelsGetATransposeAndComputeTheSame()
    {
        using var dir = new TempDir();
        // A channels-last model: input [N, 8, 8, 3] flattened in HWC order.
        TinyOnnx.WriteLinear(dir.File("nchw.onnx"), 3, 8, 8, 4);
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir.File("nchw.onnx")));
        var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim;
        var (c, h, w) = (dims[1].Clone(), dims[2].Clone(), dims[3].Clone());
        dims[1] = h; dims[2] = w; dims[3] = c;
        File.WriteAllBytes(dir.File("nhwc.onnx"), model.ToByteArray());
        var result = ModelImporter.Import(Options(dir.File("nhwc.onnx"), dir.File("pkg")));
        Assert.True(result.Transposed);
        Assert.Equal(new long[] { -1, 3, 8, 8 }, result.Package.Manifest.Input.Shape);
        // The package's model on an NCHW tensor equals the original on the same tensor in NHWC order.
        var nchw = Enumerable.Range(0, 2 * 192).Select(i => (float)Math.Sin(i)).ToArray();
        var nhwc = new float[nchw.Length];
        for (int b = 0; b < 2; b++)
            for (int ch = 0; ch < 3; ch++)
                for (int y = 0; y < 8; y++)
                    for (int x = 0; x < 8; x++)
                        nhwc[b * 192 + (y * 8 + x) * 3 + ch] = nchw[b * 192 + ch * 64 + y * 8 + x];
        using var imported = new OnnxClassifier(result.Package.ModelPath);
        var expected = Enumerable.Range(0, 2).SelectMany(b => TinyOnnx.Logits(nhwc.AsSpan(b * 192, 192), 4)).ToArray();
        var actual = imported.Run(nchw, 2);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
    }

    [Fact]
    public void BadInputNamesTheProblemAndWritesNothing()
    {
        using var dir = new TempDir();
        TinyOnnx.WriteLinear(dir.File("m.onnx"), 3, 8, 8, 4);
        var e = Assert.Throws<EdgeException>(() => ModelImporter.Import(Options(dir.File("m.onnx"), dir.File("pkg")) with { Labels = "a,b,c" }));
        Assert.Contains("3 classes", e.Message);
        Assert.Contains("[?, 4]", e.Message);
        e = Assert.Throws<EdgeException>(() => ModelImporter.Import(Options(dir.File("m.onnx"), dir.File("pkg")) with { Labels = null }));
        Assert.Contains("--labels", e.Message);
        e = Assert.Throws<EdgeException>(() => ModelImporter.Import(Options(dir.File("m.onnx"), dir.File("pkg")) with { Size = 16 }));
        Assert.Contains("--size 16 contradicts", e.Message);
        e = Assert.Throws<EdgeException>(() => ModelImporter.Import(Options(dir.File("m.onnx"), dir.File("pkg")) with { Output = "nope" }));
        Assert.Contains("no output 'nope'", e.Message);
        Assert.False(Directory.Exists(dir.File("pkg")));
        Assert.Equal(["m.onnx"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void ManifestsThatContradictTheirGraphAreRefusedOnLoadNamingTheField()
    {
        using var dir = new TempDir();
        var package = TinyOnnx.Package(dir.File("pkg"), new PreprocessSpec { Height = 4, Width = 4 }, 3, OutputKind.Probabilities);
        void Expect(ModelManifest broken, string field)
        {
            JsonFiles.Write(package.ManifestPath, broken);
            var e = Assert.Throws<EdgeException>(() => ModelPackage.Load(dir.File("pkg")));
            Assert.Contains(field, e.Message);
            Assert.Contains(package.ManifestPath, e.Message);
        }
        var m = package.Manifest;
        Expect(m with { Input = m.Input with { Name = "image" } }, "input.name");
        Expect(m with { Output = m.Output with { Name = "logits" } }, "output.name");
        Expect(m with { Labels = ["a", "b"] }, "labels");
        Expect(m with { Output = m.Output with { Kind = OutputKind.Logits } }, "output.kind");
        Expect(m with { Input = m.Input with { Shape = [-1, 1, 5, 5] }, Preprocess = m.Preprocess with { Height = 5, Width = 5 } }, "preprocess.height");
        JsonFiles.Write(package.ManifestPath, m);
        Assert.Equal(3, ModelPackage.Load(dir.File("pkg")).Manifest.Labels.Count);
    }
}
