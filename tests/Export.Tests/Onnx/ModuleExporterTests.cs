using Edge.Distill.Models.Layers;
using Edge.Export.Onnx;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Edge.Export.Tests.Onnx;

/// <summary>One tiny module per exporter: random init, eval, non-trivial BN statistics, ≤ 1e-4 against ORT.</summary>
public class ModuleExporterTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    private void AssertParity(nn.Module<Tensor, Tensor> module, long[] shape, int opset = 20, string? mustContainOp = null, string? mustNotContainOp = null)
    {
        using var scope = NewDisposeScope();
        OnnxTestKit.RandomizeBatchNorms(module);
        var (parity, export) = OnnxTestKit.ExportAndCompare(module, shape, opset: opset);
        output.WriteLine($"{module.GetType().Name}: {parity}; {export.NodeCount} nodes: {string.Join(", ", export.OpCounts.Select(p => $"{p.Key} {p.Value}"))}");
        Assert.True(parity.MaxAbsDiff <= Tolerance, parity.ToString());
        if (mustContainOp is not null) Assert.Contains(mustContainOp, export.OpCounts.Keys);
        if (mustNotContainOp is not null) Assert.DoesNotContain(mustNotContainOp, export.OpCounts.Keys);
    }

    private static nn.Module<Tensor, Tensor> Seq(params nn.Module<Tensor, Tensor>[] modules) => nn.Sequential(modules);

    [Fact] public void Conv2dWithBiasStrideAndGroups() =>
        AssertParity(Seq(nn.Conv2d(4, 8, 3, stride: 2, padding: 1, groups: 2)), [4, 9, 9], mustContainOp: "Conv");

    [Fact] public void StandaloneBatchNorm2dStaysBatchNormalization() =>
        AssertParity(Seq(nn.ReLU(), nn.BatchNorm2d(5)), [5, 4, 4], mustContainOp: "BatchNormalization");

    [Fact] public void Conv2dBNIsFoldedIntoOneConv() =>
        AssertParity(new Conv2dBN(3, 6, 3, 1, 1), [3, 8, 8], mustContainOp: "Conv", mustNotContainOp: "BatchNormalization");

    [Fact] public void LinearOnVectorsIsGemm() => AssertParity(Seq(nn.Linear(7, 5)), [7], mustContainOp: "Gemm");

    [Fact] public void LinearOnTokensIsMatMulAdd() => AssertParity(Seq(nn.Linear(7, 5)), [4, 7], mustContainOp: "MatMul");

    [Fact] public void LayerNorm() => AssertParity(Seq(nn.LayerNorm(6)), [3, 6], mustContainOp: "LayerNormalization");

    [Fact] public void GeluErfFormAtOpset17() => AssertParity(Seq(nn.GELU()), [4, 5], opset: 17, mustContainOp: "Erf");

    [Fact] public void GeluOpAtOpset20() => AssertParity(Seq(nn.GELU()), [4, 5], opset: 20, mustContainOp: "Gelu");

    [Fact] public void ReluMaxPoolAvgPoolFlatten() =>
        AssertParity(Seq(nn.ReLU(), nn.MaxPool2d(2), nn.AvgPool2d(2), nn.Flatten()), [3, 8, 8], mustContainOp: "AveragePool");

    [Fact] public void AdaptiveAvgPoolToOne() =>
        AssertParity(Seq(nn.AdaptiveAvgPool2d(1), nn.Flatten()), [3, 5, 5], mustContainOp: "GlobalAveragePool");

    [Fact] public void PatchEmbedStride4() => AssertParity(new PatchEmbed(1, 16, 4), [1, 16, 16]);

    [Fact] public void PatchEmbedStride2() => AssertParity(new PatchEmbed(1, 16, 2), [1, 16, 16]);

    [Fact] public void MBConv() => AssertParity(new MBConv(8, 4.0, 0.1), [8, 6, 6], mustNotContainOp: "BatchNormalization");

    [Fact] public void PatchMergingOddSide() => AssertParity(new PatchMerging(8, 12), [8, 5, 5]);

    [Fact] public void AttentionOverAWindow() => AssertParity(new Attention(16, 4, 4, 3), [9, 16], mustContainOp: "Softmax");

    [Fact] public void AttentionOverOneToken() => AssertParity(new Attention(16, 8, 2, 1), [1, 16], mustNotContainOp: "Softmax");

    [Fact] public void MlpOnTokens() => AssertParity(new Mlp(8, 32), [5, 8]);

    [Fact] public void BlockWithWholeMapWindowHasNoPartition() =>
        AssertParity(new TinyVitBlock(16, 2, 4, 4.0, 0.0, 3), [4, 4, 16], mustNotContainOp: "Pad");

    [Fact] public void BlockWithPartitionedWindows() =>
        AssertParity(new TinyVitBlock(16, 2, 2, 4.0, 0.0, 3), [4, 6, 16], mustNotContainOp: "Pad");

    [Fact] public void BlockWithPaddedWindows() =>
        AssertParity(new TinyVitBlock(16, 4, 3, 4.0, 0.0, 3), [5, 4, 16], mustContainOp: "Pad");

    [Fact] public void StageDownsamplesAndAttends() =>
        AssertParity(new TinyVitStage(8, 16, 2, 2, 2, 4.0, [0.0, 0.0], 3), [8, 8, 8]);

    [Fact] public void ClassifierHead() => AssertParity(new ClassifierHead(12, 5), [12, 3, 3], mustContainOp: "Gemm");
}
