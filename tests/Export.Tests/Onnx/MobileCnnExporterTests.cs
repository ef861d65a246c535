using Edge.Distill.Models;
using Edge.Distill.Models.Layers;
using Edge.Export.Onnx;
using Edge.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Edge.Export.Tests.Onnx;

/// <summary>
/// The mobile CNN exporters: one tiny random module per exporter against ONNX Runtime (max |Δ| ≤ 1e-5, BatchNorm
/// folded away), the exact op patterns the quantizer matches, and whole EfficientNet / MobileNetV3 students.
/// </summary>
public class MobileCnnExporterTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    private OnnxExportResult AssertParity(nn.Module<Tensor, Tensor> module, long[] shape, string[]? mustContain = null, string[]? mustNotContain = null)
    {
        using var scope = NewDisposeScope();
        manual_seed(2);
        OnnxTestKit.RandomizeBatchNorms(module);
        var (parity, export) = OnnxTestKit.ExportAndCompare(module, shape);
        output.WriteLine($"{module.GetType().Name}: {parity}; {export.NodeCount} nodes: {string.Join(", ", export.OpCounts.Select(p => $"{p.Key} {p.Value}"))}");
        Assert.True(parity.MaxAbsDiff <= Tolerance, parity.ToString());
        foreach (var op in mustContain ?? []) Assert.Contains(op, export.OpCounts.Keys);
        foreach (var op in (mustNotContain ?? []).Append("BatchNormalization")) Assert.DoesNotContain(op, export.OpCounts.Keys);
        return export;
    }

    private static nn.Module<Tensor, Tensor> Seq(params nn.Module<Tensor, Tensor>[] modules) => nn.Sequential(modules);

    [Fact] public void SiluIsSigmoidTimesInput() => AssertParity(Seq(nn.SiLU()), [4, 5, 5], ["Sigmoid", "Mul"]);

    [Fact] public void HardswishIsTheOnnxOp() => AssertParity(Seq(nn.Hardswish()), [4, 5, 5], ["HardSwish"], ["Mul"]);

    [Fact] public void HardsigmoidIsTheOnnxOpWithTorchsConstants() => AssertParity(Seq(nn.Hardsigmoid()), [4, 5, 5], ["HardSigmoid"]);

    [Fact] public void Sigmoid() => AssertParity(Seq(nn.Sigmoid()), [4, 5, 5], ["Sigmoid"]);

    [Fact] public void SqueezeExciteWithSiluAndSigmoid() =>
        AssertParity(new SqueezeExcite(16, 4, "silu", "sigmoid"), [16, 6, 6], ["GlobalAveragePool", "Conv", "Sigmoid", "Mul"]);

    [Fact] public void SqueezeExciteWithReluAndHardSigmoid() =>
        AssertParity(new SqueezeExcite(16, 8, "relu", "hardsigmoid"), [16, 3, 3], ["GlobalAveragePool", "HardSigmoid"]);

    [Fact] public void SqueezeExciteOnAOnePixelMapNeedsNoPool() =>
        AssertParity(new SqueezeExcite(8, 8, "relu", "sigmoid"), [8, 1, 1], ["Conv", "Mul"], ["GlobalAveragePool"]);

    [Fact] public void DepthwiseSeparableWithSeAndResidual()
    {
        var block = new DepthwiseSeparable(8, 8, 3, 1, "silu", new SqueezeExcite(8, 2, "silu", "sigmoid"), false, 0.2);
        Assert.True(block.HasSkip);
        AssertParity(block, [8, 7, 7], ["Conv", "Add", "GlobalAveragePool"]);
    }

    [Fact] public void DepthwiseSeparableStride2WithoutSe() =>
        AssertParity(new DepthwiseSeparable(8, 16, 3, 2, "relu", null, false, 0), [8, 7, 7], ["Conv", "Relu"], ["Add", "GlobalAveragePool"]);

    [Fact] public void InvertedResidualWithSeAndResidual() =>
        AssertParity(new InvertedResidual(8, 32, 8, 3, 1, "hardswish", new SqueezeExcite(32, 8, "relu", "hardsigmoid"), false, 0.1),
            [8, 6, 6], ["HardSwish", "HardSigmoid", "Add"]);

    [Fact] public void InvertedResidualStride2Kernel5() =>
        AssertParity(new InvertedResidual(8, 24, 12, 5, 2, "silu", new SqueezeExcite(24, 2, "silu", "sigmoid"), false, 0), [8, 9, 9],
            ["Conv", "Sigmoid"], ["Add"]);

    [Fact] public void ConvBnActWithResidual() => AssertParity(new ConvBnAct(8, 8, 3, 1, "relu", false, 0), [8, 5, 5], ["Conv", "Relu", "Add"]);

    [Fact] public void ConvBnActPointwise() => AssertParity(new ConvBnAct(8, 24, 1, 1, "hardswish", false, 0), [8, 5, 5], ["HardSwish"], ["Add"]);

    /// <summary>
    /// The exact patterns the quantizer matches (documented in SiluExporter and SqueezeExciteExporter): SiLU is
    /// <c>Sigmoid(x)</c> then <c>Mul(x, sigmoid)</c>; squeeze-excitation is GlobalAveragePool → Conv → act → Conv →
    /// gate → <c>Mul(x, gate)</c>; after BN folding each Conv + BN is one Conv with a bias.
    /// </summary>
    [Fact]
    public void SiluAndSqueezeExciteEmitTheDocumentedPatterns()
    {
        using var scope = NewDisposeScope();
        var block = new InvertedResidual(8, 16, 8, 3, 1, "silu", new SqueezeExcite(16, 4, "silu", "sigmoid"), false, 0);
        var graph = OnnxExporter.Build(block, new OnnxExportOptions { InputShape = [8, 6, 6] }).Graph;
        Assert.Equal(["Conv", "Sigmoid", "Mul", "Conv", "Sigmoid", "Mul", "GlobalAveragePool", "Conv", "Sigmoid", "Mul", "Conv", "Sigmoid", "Mul", "Conv", "Add"],
            graph.Node.Select(n => n.OpType));
        var producer = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        foreach (var mul in graph.Node.Where(n => n.OpType == "Mul"))
        {
            var second = producer[mul.Input[1]];
            Assert.Equal("Sigmoid", second.OpType);
            bool silu = second.Input[0] == mul.Input[0];
            bool seScale = !silu && producer[second.Input[0]].OpType == "Conv" && producer[mul.Input[0]].OpType == "Mul";
            Assert.True(silu || seScale, $"{mul.Name}: Mul({mul.Input[0]}, {mul.Input[1]}) is neither SiLU nor the SE scale");
        }
        Assert.All(graph.Node.Where(n => n.OpType == "Conv"), c => Assert.Equal(3, c.Input.Count));
    }

    /// <summary>What ONNX Runtime makes of the exported SiLU: the figure behind SiluExporter's choice of form.</summary>
    [Fact]
    public void OnnxRuntimeFusesTheExportedSilu()
    {
        using var scope = NewDisposeScope();
        string path = OnnxTestKit.TempPath("silu"), optimized = path + ".opt.onnx";
        try
        {
            OnnxExporter.Export(Seq(nn.Conv2d(4, 8, 3, padding: 1), nn.SiLU(), nn.Conv2d(8, 4, 1)), new OnnxExportOptions { InputShape = [4, 6, 6] }, path);
            using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimized, IntraOpNumThreads = 1 })
            using (new InferenceSession(path, options)) { }
            var ops = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimized)).Graph.Node.Select(n => n.OpType).ToArray();
            output.WriteLine($"ORT_ENABLE_ALL: {string.Join(", ", ops)}");
            Assert.DoesNotContain("Sigmoid", ops);
        }
        finally
        {
            File.Delete(path);
            File.Delete(optimized);
        }
    }

    [Theory]
    [InlineData("efficientnet-quick-32")]
    [InlineData("mobilenetv3-quick-32")]
    [InlineData("efficientnet-64")]
    [InlineData("mobilenetv3-64")]
    public void SmallPresetsExportWithParityAtBatch1And7(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var model = StudentRegistry.Create(name);
        OnnxTestKit.SettleBatchNorms(model, model.InputShape);
        string path = OnnxTestKit.TempPath(name);
        try
        {
            var result = OnnxExporter.Export(model, new OnnxExportOptions(), path);
            output.WriteLine(result.ToString());
            Assert.DoesNotContain("BatchNormalization", result.OpCounts.Keys);
            foreach (int batch in new[] { 1, 7 })
            {
                var (parity, scale) = CompareOnRandomImages(model, path, batch, seed: batch);
                output.WriteLine($"batch {batch}: {parity}; max |logit| {scale:F2}");
                // Random weights amplify float32 rounding differently from trained ones (whose packages pass 1e-4 absolute
                // on real images): bound the error relative to the logits, 2e-5 of the largest (seen: up to 5.5e-6), and
                // require the same top-1. Each module alone is within 1e-5 absolute (the tests above).
                Assert.True(parity.MaxAbsDiff <= 2e-5 * Math.Max(1, scale) && parity.Top1Agreement == 1, parity.ToString());
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("efficientnet-b0")]
    [InlineData("mobilenetv3-large")]
    [InlineData("mobilenetv3-small")]
    public void PaperPresetsExportWithParity(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var model = StudentRegistry.Create(name);
        OnnxTestKit.SettleBatchNorms(model, model.InputShape, batch: 4);
        string path = OnnxTestKit.TempPath(name);
        try
        {
            var result = OnnxExporter.Export(model, new OnnxExportOptions(), path);
            output.WriteLine(result.ToString());
            var (parity, scale) = CompareOnRandomImages(model, path, 2, seed: 1);
            output.WriteLine($"{parity}; max |logit| {scale:F2}");
            Assert.True(parity.MaxAbsDiff <= 2e-5 * Math.Max(1, scale) && parity.Top1Agreement == 1, parity.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>ORT vs TorchSharp on standard-normal images, and the largest |logit| TorchSharp gives for them.</summary>
    private static (ParityResult Parity, double Scale) CompareOnRandomImages(StudentModel model, string path, int batch, int seed)
    {
        using var scope = NewDisposeScope();
        var x = randn([batch, .. model.InputShape], generator: new Generator((ulong)seed));
        var inputs = x.data<float>().ToArray();
        double scale;
        using (no_grad()) scale = model.call(x).abs().max().item<float>();
        return (ParityCheck.Run(model, path, inputs, batch, [.. model.InputShape.Select(d => (int)d)]), scale);
    }

    /// <summary>What `edge export` reads: a run folder of a CNN student (run.json, student.json, student.weights).</summary>
    [Fact]
    public void DistillRunOfACnnStudentRebuildsItsFamilyAndExports()
    {
        using var scope = NewDisposeScope();
        using var dir = new Edge.Testing.TempDir();
        manual_seed(9);
        using var model = StudentRegistry.Create<EfficientNetConfig>("efficientnet-quick-32", c => c with { HeadChannels = 256 });
        OnnxTestKit.SettleBatchNorms(model, model.InputShape);
        model.SaveWeights(dir.File(Edge.Distill.Training.DistillTrainer.WeightsFile));
        File.WriteAllText(dir.File(Edge.Distill.Training.DistillTrainer.ConfigFile), model.Config.ToJson());
        new Edge.Distill.Training.DistillRecord
        {
            Options = new Edge.Distill.Training.DistillOptions { OutputDir = dir.Path, Student = "efficientnet-quick-32" },
            Student = new Edge.Distill.Training.StudentRecord("efficientnet-quick-32", System.Text.Json.JsonDocument.Parse(model.Config.ToJson()).RootElement.Clone(),
                new Edge.Core.Preprocessing.PreprocessSpec { Mean = [0f], Std = [1f] }, model.ParameterCount),
            Teachers = [],
            Labels = [.. Enumerable.Range(0, 10).Select(i => $"class {i}")],
            Objective = "1.0*ce",
            Result = new Edge.Distill.Training.DistillOutcome(0.1, 0.1, 0.95, 0, 0, 0, "cached", 1, "", "memory"),
        }.Sealed().Write(dir.Path);

        var run = Edge.Export.Packaging.DistillRun.Read(dir.Path);
        Assert.Equal(256, Assert.IsType<EfficientNetConfig>(run.Config).HeadChannels);
        using var rebuilt = run.LoadModel();
        string path = dir.File("model.onnx");
        OnnxExporter.Export(rebuilt, new OnnxExportOptions(), path);
        var parity = ParityCheck.RunRandom(model, path, 3, [1, 32, 32]);
        output.WriteLine(parity.ToString());
        Assert.True(parity.Passes(1e-5), parity.ToString());
    }

    [Fact]
    public void NodeNamesFollowTimmModulePaths()
    {
        using var model = StudentRegistry.Create("mobilenetv3-quick-32");
        var proto = OnnxExporter.Build(model, new OnnxExportOptions());
        var names = proto.Graph.Node.Select(n => n.Name).ToHashSet();
        Assert.Contains("conv_stem/Conv", names);
        Assert.Contains("blocks.1.0.conv_dw/Conv", names);
        Assert.Contains("blocks.2.0.se/GlobalAveragePool", names);
        Assert.Contains("conv_head/Gemm", names);
        Assert.Equal("mobilenetv3-quick-32", proto.MetadataProps.Single(p => p.Key == "edge.student").Value);
        Assert.Contains("\"family\": \"mobilenetv3\"", proto.MetadataProps.Single(p => p.Key == "edge.student_config").Value);
    }
}
