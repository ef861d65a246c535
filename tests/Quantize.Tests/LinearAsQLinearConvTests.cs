using Edge.Core;
using Edge.Quantize;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using static Edge.Quantize.Tests.QuantizeTestKit;

namespace Edge.Quantize.Tests;

/// <summary>
/// Linear layers as com.microsoft QLinearConv 1x1 on a channels-last view (QuantizeOptions.LinearsAsQLinearConv):
/// the rewritten graph is what ONNX Runtime runs, it tracks fp32, and every sample's result is the same at batch 1
/// and inside a batch — the row view [1, rows, 1, K] and the way back must not mix samples or tokens up.
/// </summary>
public sealed class LinearAsQLinearConvTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A transformer MLP on tokens: Linear(+bias) → Tanh → Linear(+bias), input [N, tokens.., 32].</summary>
    private string TokenMlp(string name, params long[] tokenDims)
    {
        var g = new TinyGraph(seed: 31);
        string x = g.Input("x", [.. tokenDims, 32]);
        string h = g.Op("Add", [g.Op("MatMul", [x, g.Weight("w1", [32, 64], 0.2f)]), g.Weight("b1", [64], 0.1f)]);
        string y = g.Op("Add", [g.Op("MatMul", [g.Op("Tanh", [h]), g.Weight("w2", [64, 32], 0.15f)]), g.Weight("b2", [32], 0.1f)]);
        g.Output(y);
        return g.Save(_dir, name + ".onnx");
    }

    private static QuantizeOptions Options(QuantizationMode mode = QuantizationMode.Dynamic) =>
        new() { Mode = mode, LinearsAsQLinearConv = true, QLinearConvMaxRows = 64 };

    [Theory]
    [InlineData(QuantizationMode.Dynamic)]
    [InlineData(QuantizationMode.StaticQOperator)]
    public void Token_linears_become_channels_last_qlinearconvs_that_track_fp32(QuantizationMode mode)
    {
        long[] sample = [4, 32];
        string input = TokenMlp("mlp", 4), output = Path.Combine(_dir, "mlp.int8.onnx");
        var report = OnnxQuantizer.Quantize(input, output, Options(mode), CalibrationSet(sample));

        var ops = OpCounts(output);
        Assert.Equal(2, ops.Count("QLinearConv"));
        Assert.Equal(0, ops.Count("MatMul") + ops.Count("DynamicQuantizeMatMul") + ops.Count("MatMulIntegerToFloat") + ops.Count("Add"));
        Assert.All(report.Quantized.Where(q => q.OpType == "MatMul"), q => Assert.Equal("QLinearConv 1x1 (channels-last, +bias)", q.Kernel));
        // ONNX Runtime keeps the kernel (nothing re-fuses it into a GEMM that would split small products across threads).
        Assert.Equal(2, OrtOptimizedOpCounts(output, GraphOptimizationLevel.ORT_ENABLE_ALL).Count("QLinearConv"));

        var x = RandomBatch(6, sample, seed: 32);
        var expected = Run(input, x, [6, .. sample]);
        var actual = Run(output, x, [6, .. sample]);
        Assert.True(RelativeError(expected, actual) < 0.04, $"relative error {RelativeError(expected, actual):F4}");
    }

    [Theory]
    [InlineData(new long[] { 4 })]       // [N, T, C]: a transformer's tokens
    [InlineData(new long[] { 2, 3 })]    // [N, H, W, C]: a channels-last map (pointwise conv as MatMul)
    public void Each_sample_gets_the_same_result_alone_as_inside_a_batch(long[] tokenDims)
    {
        long[] sample = [.. tokenDims, 32];
        string input = TokenMlp("rows" + tokenDims.Length, tokenDims), output = Path.Combine(_dir, $"rows{tokenDims.Length}.int8.onnx");
        OnnxQuantizer.Quantize(input, output, Options(), CalibrationSet(sample));
        Assert.Equal(2, OpCounts(output).Count("QLinearConv"));

        const int batch = 5;
        var x = RandomBatch(batch, sample, seed: 33);
        var together = Run(output, x, [batch, .. sample], threads: 2);
        int per = together.Length / batch;
        int inputPer = x.Length / batch;
        for (int i = 0; i < batch; i++)
        {
            var alone = Run(output, x[(i * inputPer)..((i + 1) * inputPer)], [1, .. sample]);
            Assert.Equal(alone, together[(i * per)..((i + 1) * per)]);
        }
    }

    [Fact]
    public void Matmuls_a_graph_pass_creates_are_calibrated_on_the_rewritten_graph_and_converted_too()
    {
        // Tokens (NHWC) → NCHW → 1x1 conv → ReLU → back: pointwise-conv-matmul turns the conv into a MatMul whose
        // output tensor does not exist in the source graph, so only calibrating after the rewrite gives it a range.
        var g = new TinyGraph(seed: 34);
        string x = g.Input("x", 2, 2, 32);
        string nchw = g.Op("Transpose", [x], ("perm", new long[] { 0, 3, 1, 2 }));
        string y = g.Op("Relu", [g.Conv(nchw, 32, 48, k: 1)]);
        g.Output(g.Op("Transpose", [y], ("perm", new long[] { 0, 2, 3, 1 })));
        string input = g.Save(_dir, "pw.onnx"), output = Path.Combine(_dir, "pw.int8.onnx");
        long[] sample = [2, 2, 32];
        var report = OnnxQuantizer.Quantize(input, output, Options() with { GraphPasses = ["pointwise-conv-matmul"] }, CalibrationSet(sample));
        Assert.Equal(1, report.GraphPasses["pointwise-conv-matmul"]);
        var ops = OpCounts(output);
        Assert.Equal(1, ops.Count("QLinearConv"));
        Assert.Equal(0, ops.Count("DynamicQuantizeMatMul") + ops.Count("Conv"));
        var x0 = RandomBatch(4, sample, seed: 35);
        var e = Run(input, x0, [4, .. sample]);
        var a = Run(output, x0, [4, .. sample]);
        Assert.True(RelativeError(e, a) < 0.04, $"relative error {RelativeError(e, a):F4}");
    }

    [Fact]
    public void Layers_with_more_rows_than_the_limit_keep_the_dynamic_kernel()
    {
        long[] sample = [6, 32];
        string input = TokenMlp("many", 6), output = Path.Combine(_dir, "many.int8.onnx");
        var report = OnnxQuantizer.Quantize(input, output, Options() with { QLinearConvMaxRows = 4 }, CalibrationSet(sample));
        var ops = OpCounts(output);
        Assert.Equal(0, ops.Count("QLinearConv"));
        Assert.Equal(2, ops.Count("DynamicQuantizeMatMul"));
        Assert.All(report.Quantized.Where(q => q.OpType == "MatMul"), q => Assert.StartsWith("DynamicQuantizeMatMul", q.Kernel));
    }

    [Fact]
    public void It_needs_calibration_even_in_dynamic_mode_and_refuses_the_qdq_form()
    {
        string input = TokenMlp("bad", 4);
        var noSet = Assert.Throws<EdgeException>(() => OnnxQuantizer.Quantize(input, Path.Combine(_dir, "a.onnx"), Options(), calibration: null));
        Assert.Contains("calibration set", noSet.Message);
        var qdq = Assert.Throws<EdgeException>(() => OnnxQuantizer.Quantize(input, Path.Combine(_dir, "b.onnx"), Options(QuantizationMode.StaticQdq), CalibrationSet([4, 32])));
        Assert.Contains("QDQ", qdq.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "a.onnx")) || File.Exists(Path.Combine(_dir, "b.onnx")));
    }
}
