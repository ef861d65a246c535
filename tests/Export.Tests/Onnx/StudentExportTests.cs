using Edge.Core;
using Edge.Distill.Models;
using Edge.Export.Onnx;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Edge.Export.Tests.Onnx;

public class StudentExportTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("tinyvit-quick-32", 17)]
    [InlineData("tinyvit-quick-32", 20)]
    [InlineData("tinyvit-5m-32", 17)]
    [InlineData("simple-cnn", 17)]
    public void PresetExportsWithParityAtBatch1And7(string name, int opset)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = StudentRegistry.Create(name);
        OnnxTestKit.RandomizeBatchNorms(model);
        string path = OnnxTestKit.TempPath(name);
        try
        {
            var result = OnnxExporter.Export(model, new OnnxExportOptions { Opset = opset }, path);
            output.WriteLine(result.ToString());
            foreach (int batch in new[] { 1, 7 })
            {
                var parity = ParityCheck.RunRandom(model, path, batch, [1, 32, 32], seed: batch);
                output.WriteLine($"batch {batch}: {parity}");
                Assert.True(parity.Passes(1e-4), parity.ToString());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The 224 layout exercises window partitioning with several windows (28x28 map, window 7).</summary>
    [Fact]
    public void ImageNetTinyVit5MExportsWithParity()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = StudentRegistry.Create("tinyvit-5m");
        OnnxTestKit.RandomizeBatchNorms(model);
        string path = OnnxTestKit.TempPath("tinyvit-5m");
        try
        {
            var result = OnnxExporter.Export(model, new OnnxExportOptions(), path);
            output.WriteLine(result.ToString());
            var parity = ParityCheck.RunRandom(model, path, 2, [3, 224, 224]);
            output.WriteLine(parity.ToString());
            Assert.True(parity.Passes(1e-4), parity.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void GraphHasNamedIoDynamicBatchAndModulePathNodeNames()
    {
        using var model = StudentRegistry.Create("tinyvit-quick-32");
        var proto = OnnxExporter.Build(model, new OnnxExportOptions());
        var input = Assert.Single(proto.Graph.Input);
        var logits = Assert.Single(proto.Graph.Output);
        Assert.Equal("input", input.Name);
        Assert.Equal("logits", logits.Name);
        Assert.Equal("batch", input.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(new long[] { 1, 32, 32 }, input.Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue));
        Assert.Equal("batch", logits.Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal(10, logits.Type.TensorType.Shape.Dim[1].DimValue);
        var names = proto.Graph.Node.Select(n => n.Name).ToHashSet();
        Assert.Contains("stages.1.blocks.0.attn.qkv/MatMul", names);
        Assert.Contains("patch_embed.conv1.conv/Conv", names);
        Assert.DoesNotContain(proto.Graph.Node, n => n.OpType is "BatchNormalization" or "Identity");
        Assert.Equal("tinyvit-quick-32", proto.MetadataProps.Single(p => p.Key == "edge.student").Value);
    }

    [Fact]
    public void UnsupportedModuleFailsNamingPathAndTypeAndWritesNothing()
    {
        using var model = nn.Sequential(("features", nn.Sequential(("0", nn.Conv2d(1, 2, 3)), ("1", nn.Tanh()))));
        string path = OnnxTestKit.TempPath("unsupported");
        var e = Assert.Throws<EdgeException>(() => OnnxExporter.Export(model, new OnnxExportOptions { InputShape = [1, 8, 8] }, path));
        output.WriteLine(e.Message);
        Assert.Contains("'features.1'", e.Message);
        Assert.Contains("Tanh", e.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void FailedWriteLeavesThePreviousFileAndNoTemporaries()
    {
        string dir = Path.Combine(Path.GetTempPath(), "edge-onnx-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "model.onnx");
        try
        {
            File.WriteAllText(path, "previous");
            using var model = StudentRegistry.Create("simple-cnn");
            var proto = OnnxExporter.Build(model, new OnnxExportOptions());
            // A directory squatting on the target makes the final rename fail after the temp file was written.
            string blocked = Path.Combine(dir, "blocked.onnx");
            Directory.CreateDirectory(blocked);
            Assert.ThrowsAny<IOException>(() => OnnxExporter.WriteAtomically(proto, blocked));
            Assert.Equal(["blocked.onnx", "model.onnx"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order());
            Assert.Equal("previous", File.ReadAllText(path));

            var result = OnnxExporter.Export(model, new OnnxExportOptions(), path);
            Assert.Equal(new FileInfo(path).Length, result.FileSizeBytes);
            Assert.Equal(20, result.Opset);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ExportLeavesTrainingModeAsItWas()
    {
        using var model = StudentRegistry.Create("tinyvit-quick-32");
        model.train();
        OnnxExporter.Build(model, new OnnxExportOptions());
        Assert.True(model.training);
    }
}
