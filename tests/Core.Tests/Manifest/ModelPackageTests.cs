using Edge.Core;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Testing;
using Xunit;

namespace Edge.Core.Tests.Manifest;

public class ModelPackageTests
{
    [Fact]
    public void DefaultTeacherManifestLoadsAndMatchesItsModel()
    {
        var package = ModelPackage.Load(TestPaths.Teacher);
        Assert.Equal("fmnist-resnet18", package.Manifest.Name);
        Assert.True(package.Manifest.Preprocess.SameAs(PreprocessSpec.FashionMnist32));
        Assert.Equal(Edge.Core.IO.FileHash.Sha256(package.ModelPath), package.Manifest.ModelSha256);
    }

    [Fact]
    public void WriteThenLoadRoundTrips()
    {
        using var dir = new TempDir();
        var manifest = new ModelManifest
        {
            Name = "x", Labels = ["a", "b"], Input = new TensorSpec("input", [-1, 1, 32, 32]),
            Output = new OutputSpec("logits", [-1, 2]), Preprocess = PreprocessSpec.FashionMnist32,
            Quantization = new QuantizationInfo("static", "qdq", "minmax", 256, ["head.fc"], 12),
        };
        TinyOnnx.WriteLinear(dir.File("src.onnx"), 1, 32, 32, 2);
        var written = ModelPackage.Write(dir.File("pkg"), dir.File("src.onnx"), manifest);
        var loaded = ModelPackage.Load(dir.File("pkg"));
        Assert.Equal(written.Manifest.ModelSha256, loaded.Manifest.ModelSha256);
        Assert.Equal(["head.fc"], loaded.Manifest.Quantization!.KeptInFloat);
        Assert.Contains("\"model_sha256\"", File.ReadAllText(loaded.ManifestPath));
    }

    [Fact]
    public void MissingManifestNamesTheExpectedFile()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("m.onnx"), [1]);
        var e = Assert.Throws<EdgeException>(() => ModelPackage.Load(dir.File("m.onnx")));
        Assert.Contains("m.manifest.json", e.Message);
    }

    [Fact]
    public void InputShapeMustMatchPreprocessing()
    {
        var manifest = new ModelManifest
        {
            Name = "x", Labels = ["a"], Input = new TensorSpec("input", [-1, 3, 32, 32]),
            Output = new OutputSpec("logits", [-1, 1]), Preprocess = PreprocessSpec.FashionMnist32,
        };
        var e = Assert.Throws<EdgeException>(() => manifest.Validate("m.json"));
        Assert.Contains("does not match preprocess", e.Message);
    }
}
