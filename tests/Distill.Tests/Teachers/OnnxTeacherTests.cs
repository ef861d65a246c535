using Edge.Core;
using Edge.Core.Imaging;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Distill.Data;
using Edge.Distill.Teachers;
using Edge.Testing;
using Xunit;

namespace Edge.Distill.Tests.Teachers;

public class OnnxTeacherTests
{
    /// <summary>Gray 6x5 canvases with distinct pixels.</summary>
    private static ViewBatch Batch(int n, int channels = 1, int h = 6, int w = 5)
    {
        var canvases = new Canvas[n];
        for (int b = 0; b < n; b++)
        {
            var data = new float[channels * h * w];
            for (int i = 0; i < data.Length; i++) data[i] = ((i * 7 + b * 13) % 23) / 23f;
            canvases[b] = new Canvas(data, channels, h, w);
        }
        return new ViewBatch(canvases);
    }

    private static OnnxTeacher Open(string folder) => (OnnxTeacher)TeacherRegistry.Open(folder, new TeacherContext { Threads = 1 });

    [Fact]
    public void TheSharedTeacherRunsOnItsOwnViewOfTheBatch()
    {
        using var teacher = new OnnxTeacher(ModelPackage.Load(TestPaths.Teacher), threads: 1);
        Assert.Equal(10, teacher.NumClasses);
        Assert.Equal("T-shirt/top", teacher.Labels[0]);
        var views = Batch(3, h: 28, w: 28);
        var outputs = teacher.Run(views);
        Assert.Equal(30, outputs.Logits.Length);
        // It read the 1x32x32 view its manifest asks for, not the 28x28 canvas.
        Assert.Equal(3 * 32 * 32, views.View(teacher.Cards[0].Preprocess).Length);
    }

    [Fact]
    public void TargetsAreTheSameForLogitsProbabilitiesAndLogProbabilities()
    {
        using var dir = new TempDir();
        var spec = new PreprocessSpec { Channels = 1, Height = 6, Width = 5, Mean = [0.5f], Std = [0.25f] };
        var views = Batch(4);
        float[] Targets(OutputKind kind)
        {
            TinyOnnx.Package(Path.Combine(dir.Path, kind.ToString()), spec, 7, kind);
            using var t = Open(Path.Combine(dir.Path, kind.ToString()));
            return t.Run(views).Logits;
        }
        var logits = Targets(OutputKind.Logits);
        var probs = Targets(OutputKind.Probabilities);
        var logProbs = Targets(OutputKind.LogProbabilities);
        // By hand: the linear model's logits, each row centred on its mean.
        var input = views.View(spec);
        for (int b = 0; b < 4; b++)
        {
            var z = TinyOnnx.Logits(input.AsSpan(b * 30, 30), 7);
            double mean = z.Average();
            for (int k = 0; k < 7; k++)
            {
                Assert.Equal(z[k] - mean, logits[b * 7 + k], 4);
                Assert.Equal(z[k] - mean, probs[b * 7 + k], 4);
                Assert.Equal(z[k] - mean, logProbs[b * 7 + k], 4);
            }
        }
    }

    [Fact]
    public void WhiteBoxTeacherReturnsNamedIntermediates()
    {
        string name = FirstReluOutput();
        using var teacher = new OnnxTeacher(ModelPackage.Load(TestPaths.Teacher), threads: 1, features: [name]);
        var outputs = teacher.Run(Batch(2, h: 32, w: 32));
        var feature = outputs.Features[name];
        Assert.Equal(2, feature.Shape[0]);
        Assert.Equal(feature.Data.Length, feature.Shape.Aggregate(1L, (a, b) => a * b));
        var e = Assert.Throws<EdgeException>(() => new OnnxTeacher(ModelPackage.Load(TestPaths.Teacher), features: ["no-such-tensor"]));
        Assert.Contains("no-such-tensor", e.Message);
    }

    [Fact]
    public void EnsembleOfMembersWithOtherSpecsAndLabelOrdersAveragesByLabel()
    {
        using var dir = new TempDir();
        var gray = new PreprocessSpec { Channels = 1, Height = 6, Width = 5, Mean = [0.5f], Std = [0.25f] };
        var rgb = new PreprocessSpec { Channels = 3, Height = 4, Width = 4, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] };
        string[] labels = ["a", "b", "c"], reversed = ["c", "b", "a"];
        TinyOnnx.Package(Path.Combine(dir.Path, "gray"), gray, 3, OutputKind.Logits, seed: 1, labels: labels);
        TinyOnnx.Package(Path.Combine(dir.Path, "rgb"), rgb, 3, OutputKind.Probabilities, seed: 2, labels: reversed);
        using var ensemble = new EnsembleTeacher([Open(Path.Combine(dir.Path, "gray")), Open(Path.Combine(dir.Path, "rgb"))]);
        Assert.Equal(labels, ensemble.Labels);
        Assert.Equal(2, ensemble.Specs().Count);
        var views = Batch(2, channels: 3, h: 6, w: 6);
        var averaged = ensemble.Run(views).Logits;
        var g = views.View(gray);
        var r = views.View(rgb);
        for (int b = 0; b < 2; b++)
        {
            var p1 = Softmax(TinyOnnx.Logits(g.AsSpan(b * 30, 30), 3, 1));
            var p2 = Softmax(TinyOnnx.Logits(r.AsSpan(b * 48, 48), 3, 2)).Reverse().ToArray(); // the rgb member lists c, b, a
            var logMean = p1.Zip(p2, (x, y) => Math.Log((x + y) / 2)).ToArray();
            double centre = logMean.Average();
            for (int k = 0; k < 3; k++) Assert.Equal(logMean[k] - centre, averaged[b * 3 + k], 4);
        }
    }

    [Fact]
    public void EnsembleMembersMustShareTheirClasses()
    {
        using var dir = new TempDir();
        var spec = new PreprocessSpec { Height = 6, Width = 5 };
        TinyOnnx.Package(Path.Combine(dir.Path, "a"), spec, 3, labels: ["a", "b", "c"]);
        TinyOnnx.Package(Path.Combine(dir.Path, "b"), spec, 3, labels: ["a", "b", "d"]);
        var members = new ITeacher[] { Open(Path.Combine(dir.Path, "a")), Open(Path.Combine(dir.Path, "b")) };
        var e = Assert.Throws<EdgeException>(() => new EnsembleTeacher(members));
        Assert.Contains("d", e.Message);
        foreach (var m in members) m.Dispose();
    }

    [Fact]
    public void TeacherFormsNameWhatIsMissing()
    {
        var e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open("/no/such/teacher.onnx", new TeacherContext()));
        Assert.Contains("/no/such/teacher.onnx", e.Message);
        Assert.Contains("--teacher", e.Message);
        using var dir = new TempDir();
        TinyOnnx.WriteLinear(dir.File("bare.onnx"), 1, 4, 4, 3);
        e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open(dir.File("bare.onnx"), new TeacherContext()));
        Assert.Contains("edge import", e.Message);
        // A package folder, and a bare file with its manifest given, both open.
        var package = TinyOnnx.Package(dir.File("pkg"), new PreprocessSpec { Height = 4, Width = 4 }, 3);
        using (var t = TeacherRegistry.Open(dir.File("pkg"), new TeacherContext())) Assert.Equal(3, t.NumClasses);
        using (var t = TeacherRegistry.Open($"{dir.File("bare.onnx")},manifest={package.ManifestPath}", new TeacherContext())) Assert.Equal(3, t.NumClasses);
        e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open("grpc://127.0.0.1:1/m", new TeacherContext()));
        Assert.Contains("manifest=", e.Message);
    }

    private static double[] Softmax(double[] z)
    {
        double max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        double s = e.Sum();
        return [.. e.Select(v => v / s)];
    }

    private static string FirstReluOutput()
    {
        using var stream = File.OpenRead(TestPaths.Teacher);
        var model = Edge.Onnx.Proto.ModelProto.Parser.ParseFrom(stream);
        return model.Graph.Node.First(n => n.OpType == "Relu").Output[0];
    }
}
