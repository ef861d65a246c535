using Edge.Quantize;
using Xunit;
using static Edge.Quantize.Tests.QuantizeTestKit;

namespace Edge.Quantize.Tests;

/// <summary>One tiny graph per op: quantize, count ops, compare fp32 and int8 outputs in ONNX Runtime.</summary>
public sealed class OpQuantizerTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly QuantizeOptions QOperator = new() { Mode = QuantizationMode.StaticQOperator };
    private static readonly QuantizeOptions Qdq = new() { Mode = QuantizationMode.StaticQdq };

    private (Dictionary<string, int> Ops, double Error, QuantizeReport Report) QuantizeAndCompare(TinyGraph g, long[] sample, QuantizeOptions options, string name)
    {
        string input = g.Save(_dir, name + ".onnx");
        string output = Path.Combine(_dir, name + ".int8.onnx");
        var report = OnnxQuantizer.Quantize(input, output, options, CalibrationSet(sample));
        // The first samples of the calibration set: a range check, not a generalisation test.
        var x = RandomBatch(3, sample, seed: 100);
        long[] shape = [3, .. sample];
        double err = options.Calibration.Method == Edge.Quantize.Calibration.CalibrationMethod.MinMax
            ? RelativeError(Run(input, x, shape), Run(output, x, shape))
            : MeanRelativeError(Run(input, x, shape), Run(output, x, shape)); // clipping methods trade the extremes for resolution
        return (OpCounts(output), err, report);
    }

    [Fact]
    public void Conv_relu_becomes_one_QLinearConv_and_the_relu_disappears()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 3, 8, 8);
        g.Output(g.Op("Relu", [g.Conv(x, 3, 8)]));
        var (ops, err, report) = QuantizeAndCompare(g, [3, 8, 8], QOperator, "conv");
        Assert.Equal(1, ops.Count("QLinearConv"));
        Assert.Equal(0, ops.Count("Relu"));
        Assert.Equal(0, ops.Count("Conv"));
        Assert.Equal(1, ops.Count("QuantizeLinear"));
        Assert.Equal(1, ops.Count("DequantizeLinear"));
        Assert.True(err < 0.03, $"relative error {err:F4}");
        Assert.Contains(report.Quantized, q => q.OpType == "Relu" && q.Kernel.StartsWith("fused"));
    }

    [Fact]
    public void Conv_in_QDQ_form_gets_QDQ_pairs_and_matches_float()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 3, 8, 8);
        g.Output(g.Op("Relu", [g.Conv(x, 3, 8)]));
        var (ops, err, _) = QuantizeAndCompare(g, [3, 8, 8], Qdq, "conv-qdq");
        Assert.Equal(1, ops.Count("Conv"));
        Assert.Equal(2, ops.Count("QuantizeLinear"));
        Assert.Equal(4, ops.Count("DequantizeLinear")); // input, weight, bias, output
        Assert.True(err < 0.03, $"relative error {err:F4}");
    }

    [Fact]
    public void Dynamic_conv_uses_ConvInteger_only_when_asked()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 3, 8, 8);
        g.Output(g.Conv(x, 3, 8));
        var (ops, err, _) = QuantizeAndCompare(g, [3, 8, 8], new QuantizeOptions { Mode = QuantizationMode.Dynamic, DynamicConv = true }, "dynconv");
        Assert.Equal(1, ops.Count("ConvInteger"));
        Assert.Equal(1, ops.Count("DynamicQuantizeLinear"));
        Assert.True(err < 0.03, $"relative error {err:F4}");
        var (plain, _, report) = QuantizeAndCompare(g, [3, 8, 8], new QuantizeOptions { Mode = QuantizationMode.Dynamic }, "dynconv-off");
        Assert.Equal(1, plain.Count("Conv"));
        Assert.Contains(report.KeptInFloat, k => k.Reason.Contains("DynamicConv"));
    }

    [Theory]
    [InlineData(QuantizationMode.StaticQOperator, "MatMulIntegerToFloat")]
    [InlineData(QuantizationMode.StaticQdq, "MatMul")]
    [InlineData(QuantizationMode.Dynamic, "DynamicQuantizeMatMul")]
    public void MatMul_with_constant_weight(QuantizationMode mode, string expectedOp)
    {
        var g = new TinyGraph();
        string x = g.Input("x", 5, 16);
        g.Output(g.Op("MatMul", [x, g.Weight("w", [16, 12], 0.25f)]));
        var (ops, err, _) = QuantizeAndCompare(g, [5, 16], new QuantizeOptions { Mode = mode }, "matmul-" + mode);
        Assert.Equal(1, ops.Count(expectedOp));
        Assert.True(err < 0.03, $"relative error {err:F4}");
    }

    [Theory]
    [InlineData(QuantizationMode.StaticQOperator, "QGemm")]
    [InlineData(QuantizationMode.StaticQdq, "Gemm")]
    [InlineData(QuantizationMode.Dynamic, "DynamicQuantizeMatMul")]
    public void Gemm_linear_layer(QuantizationMode mode, string expectedOp)
    {
        var g = new TinyGraph();
        string x = g.Input("x", 32);
        g.Output(g.Op("Gemm", [x, g.Weight("w", [10, 32], 0.2f), g.Weight("b", [10], 0.1f)], ("transB", 1L), ("beta", 0.5f)));
        var (ops, err, _) = QuantizeAndCompare(g, [32], new QuantizeOptions { Mode = mode }, "gemm-" + mode);
        Assert.Equal(1, ops.Count(expectedOp));
        Assert.True(err < 0.03, $"relative error {err:F4}");
        if (mode == QuantizationMode.StaticQOperator) Assert.Equal(0, ops.Count("DequantizeLinear")); // QGemm writes float logits
    }

    [Theory]
    [InlineData(QuantizationMode.StaticQOperator, "QLinearAdd")]
    [InlineData(QuantizationMode.StaticQdq, "Add")]
    public void Residual_add_of_two_int8_branches(QuantizationMode mode, string expectedOp)
    {
        var g = new TinyGraph();
        string x = g.Input("x", 4, 6, 6);
        string a = g.Op("Relu", [g.Conv(x, 4, 4)]);
        string b = g.Conv(a, 4, 4);
        g.Output(g.Op("Relu", [g.Op("Add", [a, b])]));
        var (ops, err, _) = QuantizeAndCompare(g, [4, 6, 6], new QuantizeOptions { Mode = mode }, "add-" + mode);
        Assert.Equal(1, ops.Count(expectedOp));
        Assert.Equal(0, ops.Count("Relu"));
        Assert.True(err < 0.04, $"relative error {err:F4}");
    }

    [Fact]
    public void A_small_cnn_stays_int8_from_the_first_quantize_to_the_float_logits()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 1, 12, 12);
        string h = g.Op("Relu", [g.Conv(x, 1, 8)]);
        h = g.Op("MaxPool", [h], ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        string r = g.Op("Relu", [g.Conv(h, 8, 8)]);
        h = g.Op("Relu", [g.Op("Add", [h, g.Conv(r, 8, 8)])]);
        h = g.Op("Flatten", [g.Op("GlobalAveragePool", [h])]);
        g.Output(g.Op("Gemm", [h, g.Weight("fc", [10, 8]), g.Weight("fcb", [10])], ("transB", 1L)));
        var (ops, err, report) = QuantizeAndCompare(g, [1, 12, 12], QOperator, "cnn");
        Assert.Equal(1, ops.Count("QuantizeLinear"));
        Assert.Equal(0, ops.Count("DequantizeLinear"));
        Assert.Equal(3, ops.Count("QLinearConv"));
        Assert.Equal(1, ops.Count("QLinearGlobalAveragePool"));
        Assert.Equal(1, ops.Count("MaxPool"));
        Assert.Empty(report.KeptInFloat);
        Assert.True(err < 0.05, $"relative error {err:F4}");
    }

    [Fact]
    public void Unknown_ops_and_keep_in_float_entries_stay_float()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 3, 8, 8);
        string c1 = g.Conv(x, 3, 4);
        string s = g.Op("Softplus", [c1]);
        g.Output(g.Conv(s, 4, 4));
        string input = g.Save(_dir);
        string output = Path.Combine(_dir, "keep.onnx");
        var report = OnnxQuantizer.Quantize(input, output, QOperator with { KeepInFloat = ["conv2"] }, CalibrationSet([3, 8, 8]));
        var ops = OpCounts(output);
        Assert.Equal(1, ops.Count("QLinearConv"));
        Assert.Equal(1, ops.Count("Conv"));
        Assert.Equal(1, ops.Count("Softplus"));
        Assert.Contains(report.KeptInFloat, k => k.OpType == "Softplus" && k.Reason.Contains("no quantizer"));
        Assert.Contains(report.KeptInFloat, k => k.Name == "conv2" && k.Reason.Contains("keep-in-float"));
        var xb = RandomBatch(2, [3, 8, 8], 9);
        Assert.True(RelativeError(Run(input, xb, [2, 3, 8, 8]), Run(output, xb, [2, 3, 8, 8])) < 0.05);

        var byType = OnnxQuantizer.Quantize(input, output, QOperator with { KeepInFloat = ["Conv"] }, CalibrationSet([3, 8, 8]));
        Assert.Empty(byType.Quantized);
        Assert.Throws<Edge.Core.EdgeException>(() => OnnxQuantizer.Quantize(input, output, QOperator with { KeepInFloat = ["NoSuchNode"] }, CalibrationSet([3, 8, 8])));
    }

    [Theory]
    [InlineData(Edge.Quantize.Calibration.CalibrationMethod.MinMax, false)]
    [InlineData(Edge.Quantize.Calibration.CalibrationMethod.MinMax, true)]
    [InlineData(Edge.Quantize.Calibration.CalibrationMethod.Percentile, false)]
    [InlineData(Edge.Quantize.Calibration.CalibrationMethod.Entropy, false)]
    [InlineData(Edge.Quantize.Calibration.CalibrationMethod.Entropy, true)]
    public void Every_calibration_method_and_symmetric_activations_quantize_accurately(Edge.Quantize.Calibration.CalibrationMethod method, bool symmetric)
    {
        var g = new TinyGraph();
        string x = g.Input("x", 3, 8, 8);
        g.Output(g.Conv(g.Op("Relu", [g.Conv(x, 3, 8)]), 8, 4));
        var options = QOperator with { Calibration = new() { Method = method }, SymmetricActivations = symmetric };
        var (ops, err, report) = QuantizeAndCompare(g, [3, 8, 8], options, "calib-" + method);
        Assert.Equal(2, ops.Count("QLinearConv"));
        Assert.Equal(symmetric ? 1 : 0, ops.Count("Relu"));
        Assert.Equal(method.ToString(), report.CalibrationMethod);
        Assert.Equal(32, report.CalibrationSamples);
        Assert.True(err < 0.08, $"relative error {err:F4}");
    }

    [Theory]
    [InlineData(QuantizationMode.Dynamic)]
    [InlineData(QuantizationMode.StaticQOperator)]
    [InlineData(QuantizationMode.StaticQdq)]
    public void Transformer_mlp_block_quantizes_the_linears_and_leaves_norm_and_softmax_float(QuantizationMode mode)
    {
        var g = new TinyGraph();
        string x = g.Input("x", 4, 16);
        string ln = g.Op("LayerNormalization", [x, g.Weight("gamma", [16], 1f), g.Weight("beta", [16], 0.1f)], ("axis", -1L));
        string h = g.Op("Relu", [g.Op("Add", [g.Op("MatMul", [ln, g.Weight("w1", [16, 32], 0.25f)]), g.Weight("b1", [32], 0.1f)])]);
        h = g.Op("Add", [g.Op("MatMul", [h, g.Weight("w2", [32, 16], 0.2f)]), g.Weight("b2", [16], 0.1f)]);
        g.Output(g.Op("Softmax", [g.Op("Add", [x, h])], ("axis", -1L)));
        var (ops, err, report) = QuantizeAndCompare(g, [4, 16], new QuantizeOptions { Mode = mode }, "mlp-" + mode);
        Assert.Equal(1, ops.Count("LayerNormalization"));
        Assert.Equal(1, ops.Count("Softmax"));
        if (mode == QuantizationMode.Dynamic)
        {
            Assert.Equal(2, ops.Count("DynamicQuantizeMatMul"));
            Assert.Equal(1, ops.Count("Add")); // only the residual: both bias Adds run inside the kernels
        }
        else if (mode == QuantizationMode.StaticQOperator)
        {
            // fc1 feeds fc2 through ReLU: int8 out (QLinearMatMul, bias QLinearAdd with the ReLU folded);
            // fc2 feeds the float residual: int8 in, float out with its bias inside the kernel.
            Assert.Equal(1, ops.Count("QLinearMatMul"));
            Assert.Equal(1, ops.Count("QLinearAdd"));
            Assert.Equal(1, ops.Count("MatMulIntegerToFloat"));
            Assert.Equal(1, ops.Count("Add"));
            Assert.Equal(0, ops.Count("Relu"));
        }
        Assert.Contains(report.KeptInFloat, k => k.OpType == "Softmax");
        Assert.True(err < 0.05, $"relative error {err:F4}");
    }
}
