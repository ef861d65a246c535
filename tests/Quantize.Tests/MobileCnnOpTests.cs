using Edge.Quantize.Calibration;
using Edge.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using static Edge.Quantize.Tests.QuantizeTestKit;

namespace Edge.Quantize.Tests;

/// <summary>
/// The op patterns of mobile CNNs (SiLU, HardSigmoid, HardSwish, squeeze-excitation, depthwise convs, Concat), one tiny
/// graph each: quantize, count ops, and compare int8 with fp32 in ONNX Runtime. Each unary test feeds its op through a
/// 1x1 convolution with weights k·I, which int8 represents exactly, so the error budget follows from the quantization
/// steps alone: |Δy| ≤ L·(k·s_x/2 + s_c/2) + s_y/2 for an op of slope at most L, plus one output step for the rounding
/// inside ONNX Runtime's kernels.
/// </summary>
public sealed class MobileCnnOpTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly QuantizeOptions QOperator = new() { Mode = QuantizationMode.StaticQOperator };
    private static readonly QuantizeOptions Qdq = new() { Mode = QuantizationMode.StaticQdq };

    private const int C = 4;

    /// <summary>x [N, 4, 5, 5] → Conv 1x1 with weights k·I (no bias) → the returned tensor.</summary>
    private static (TinyGraph Graph, string Conv) ScaledIdentityConv(float k)
    {
        var g = new TinyGraph();
        string x = g.Input("x", C, 5, 5);
        var w = new float[C * C];
        for (int i = 0; i < C; i++) w[i * C + i] = k;
        string conv = g.Op("Conv", [x, g.Constant("w_identity", [C, C, 1, 1], w)], ("kernel_shape", new long[] { 1, 1 }));
        return (g, conv);
    }

    private (string Input, string Output, QuantizeReport Report) Quantize(TinyGraph g, QuantizeOptions options, string name)
    {
        string input = g.Save(_dir, name + ".onnx");
        string output = Path.Combine(_dir, name + ".int8.onnx");
        return (input, output, OnnxQuantizer.Quantize(input, output, options, CalibrationSet([C, 5, 5])));
    }

    /// <summary>Largest |int8 − fp32| on the calibration samples (ranges cover them: no clipping at the extremes).</summary>
    private static double MaxError(string input, string output, long[] sample)
    {
        var x = RandomBatch(3, sample, seed: 100);
        long[] shape = [3, .. sample];
        var expected = Run(input, x, shape);
        var actual = Run(output, x, shape);
        return expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
    }

    /// <summary>The scale the quantizer gave <paramref name="tensor"/> (its "_scale" initializer).</summary>
    private static float Scale(string modelPath, string tensor)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
        return Edge.Onnx.Graph.Tensors.ToFloats(model.Graph.Initializer.Single(t => t.Name == tensor + "_scale"))[0];
    }

    /// <summary>The budget of the class summary for an op of slope ≤ <paramref name="slope"/> after a k·I conv.</summary>
    private static double Budget(string model, string conv, string y, float k, double slope)
    {
        double sx = Scale(model, "x"), sc = Scale(model, conv), sy = Scale(model, y);
        return slope * (k * sx / 2 + sc / 2) + sy / 2 + sy;
    }

    [Fact]
    public void Sigmoid_after_an_int8_op_is_one_QLinearSigmoid()
    {
        var (g, conv) = ScaledIdentityConv(3f);
        string y = g.Op("Sigmoid", [conv]);
        g.Output(y);
        var (input, output, report) = Quantize(g, QOperator, "sigmoid");
        var ops = OpCounts(output);
        Assert.Equal(1, ops.Count("QLinearSigmoid"));
        Assert.Equal(0, ops.Count("Sigmoid"));
        Assert.Equal((1, 1), (ops.Count("QuantizeLinear"), ops.Count("DequantizeLinear")));
        Assert.Empty(report.KeptInFloat);
        double err = MaxError(input, output, [C, 5, 5]), budget = Budget(output, conv, y, 3f, 0.25);
        Assert.True(err <= budget, $"max |error| {err:G4} > budget {budget:G4}");
    }

    [Fact]
    public void Silu_is_QLinearSigmoid_times_its_input_with_no_float_between()
    {
        var (g, conv) = ScaledIdentityConv(3f);
        string y = g.Op("Mul", [conv, g.Op("Sigmoid", [conv])]);
        g.Output(y);
        var (input, output, _) = Quantize(g, QOperator, "silu");
        var ops = OpCounts(output);
        Assert.Equal(1, ops.Count("QLinearSigmoid"));
        Assert.Equal(1, ops.Count("QLinearMul"));
        Assert.Equal((1, 1), (ops.Count("QuantizeLinear"), ops.Count("DequantizeLinear")));
        // SiLU's slope is below 1.1; the gate's own step, times |x| ≤ 3, adds to the budget.
        double sGate = Scale(output, "sigmoid1_out");
        double err = MaxError(input, output, [C, 5, 5]), budget = Budget(output, conv, y, 3f, 1.1) + 3 * sGate / 2;
        Assert.True(err <= budget, $"max |error| {err:G4} > budget {budget:G4}");
    }

    [Fact]
    public void HardSigmoid_is_one_saturating_QLinearAdd_and_clips_exactly()
    {
        // k = 5 puts inputs beyond ±3, where HardSigmoid(α = 1/6, β = 1/2) is clipped to 0 and 1.
        var (g, conv) = ScaledIdentityConv(5f);
        string y = g.Op("HardSigmoid", [conv], ("alpha", 1f / 6f), ("beta", 0.5f));
        g.Output(y);
        var (input, output, _) = Quantize(g, QOperator, "hardsigmoid");
        var ops = OpCounts(output);
        Assert.Equal(1, ops.Count("QLinearAdd"));
        Assert.Equal(0, ops.Count("HardSigmoid"));
        double err = MaxError(input, output, [C, 5, 5]), budget = Budget(output, conv, y, 5f, 1f / 6);
        Assert.True(err <= budget, $"max |error| {err:G4} > budget {budget:G4}");
        var x = RandomBatch(3, [C, 5, 5], seed: 100);
        var q = Run(output, x, [3, C, 5, 5]);
        var f = Run(input, x, [3, C, 5, 5]);
        // Where fp32 clips, int8 lands on the very same end of the range (the clip is the requantization's saturation).
        for (int i = 0; i < f.Length; i++)
            if (f[i] == 0f || f[i] == 1f) Assert.True(Math.Abs(q[i] - f[i]) <= Scale(output, y), $"clipped value {f[i]} came out {q[i]}");
        Assert.Contains(f, v => v == 0f);
    }

    [Fact]
    public void HardSwish_is_a_saturating_QLinearAdd_gate_times_its_input()
    {
        var (g, conv) = ScaledIdentityConv(5f);
        string y = g.Op("HardSwish", [conv]);
        g.Output(y);
        var (input, output, report) = Quantize(g, QOperator, "hardswish");
        var ops = OpCounts(output);
        Assert.Equal(1, ops.Count("QLinearAdd"));
        Assert.Equal(1, ops.Count("QLinearMul"));
        Assert.Equal(0, ops.Count("HardSwish"));
        Assert.Equal((1, 1), (ops.Count("QuantizeLinear"), ops.Count("DequantizeLinear")));
        // HardSwish's slope is at most 1.5 on [-3, 3]; the gate's step 1/255 times |x| ≤ 5 adds to the budget.
        double err = MaxError(input, output, [C, 5, 5]), budget = Budget(output, conv, y, 5f, 1.5) + 5.0 / 255 / 2;
        Assert.True(err <= budget, $"max |error| {err:G4} > budget {budget:G4}");
        Assert.Contains(report.Quantized, q => q.OpType == "HardSwish");
    }

    [Theory]
    [InlineData("Sigmoid")]
    [InlineData("HardSwish")]
    [InlineData("HardSigmoid")]
    public void Qdq_form_is_dq_op_q_and_tracks_fp32(string op)
    {
        var (g, conv) = ScaledIdentityConv(4f);
        string y = g.Op(op, [conv]);
        g.Output(y);
        var (input, output, _) = Quantize(g, Qdq, "qdq-" + op);
        var ops = OpCounts(output);
        Assert.Equal(1, ops.Count(op));
        Assert.Equal(3, ops.Count("QuantizeLinear")); // the input's, the conv's and the op's output
        double slope = op == "HardSwish" ? 1.5 : op == "Sigmoid" ? 0.25 : 0.2;
        double err = MaxError(input, output, [C, 5, 5]), budget = Budget(output, conv, y, 4f, slope);
        Assert.True(err <= budget, $"max |error| {err:G4} > budget {budget:G4}");
    }

    [Fact]
    public void An_activation_on_a_float_tensor_stays_float_instead_of_gaining_a_quantize()
    {
        var g = new TinyGraph();
        string x = g.Input("x", C, 5, 5);
        g.Output(g.Conv(g.Op("HardSwish", [g.Op("Sigmoid", [x])]), C, C));
        var (_, output, report) = Quantize(g, QOperator, "float-activation");
        var ops = OpCounts(output);
        Assert.Equal(1, ops.Count("Sigmoid"));
        Assert.Equal(1, ops.Count("HardSwish"));
        Assert.Contains(report.KeptInFloat, k => k.OpType == "Sigmoid" && k.Reason.Contains("not int8"));
    }

    /// <summary>
    /// EfficientNet's MBConv: 1x1 expand → SiLU → depthwise 3x3 → SiLU → squeeze-excitation (GAP → 1x1 → SiLU → 1x1 →
    /// Sigmoid → Mul) → 1x1 project → residual Add.
    /// </summary>
    private static TinyGraph MbConv(out long[] sample)
    {
        var g = new TinyGraph(seed: 3);
        sample = [8, 6, 6];
        string x = g.Input("x", 8, 6, 6);
        string Silu(string t) => g.Op("Mul", [t, g.Op("Sigmoid", [t])]);
        string e = Silu(g.Conv(x, 8, 16, k: 1));
        string dw = g.Op("Conv", [e, g.Weight("dw", [16, 1, 3, 3], 0.4f), g.Weight("dwb", [16], 0.1f)],
            ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }), ("group", 16L));
        string d = Silu(dw);
        string s = Silu(g.Conv(g.Op("GlobalAveragePool", [d]), 16, 4, k: 1));
        string gate = g.Op("Sigmoid", [g.Conv(s, 4, 16, k: 1)]);
        string p = g.Conv(g.Op("Mul", [d, gate]), 16, 8, k: 1);
        g.Output(g.Op("Add", [x, p]));
        return g;
    }

    [Fact]
    public void A_whole_MBConv_block_runs_in_int8_and_in_channels_last_with_no_layout_or_qdq_between_ops()
    {
        var g = MbConv(out var sample);
        string input = g.Save(_dir, "mbconv.onnx");
        string output = Path.Combine(_dir, "mbconv.int8.onnx");
        // The residual Add reads the graph input, which calibration ranges too: it becomes int8 as well.
        var report = OnnxQuantizer.Quantize(input, output, QOperator, CalibrationSet(sample, batches: 6));
        var ops = OpCounts(output);
        Assert.Empty(report.KeptInFloat);
        Assert.Equal(5, ops.Count("QLinearConv"));
        Assert.Equal(4, ops.Count("QLinearSigmoid"));
        Assert.Equal(4, ops.Count("QLinearMul"));
        Assert.Equal(1, ops.Count("QLinearGlobalAveragePool"));
        Assert.Equal(1, ops.Count("QLinearAdd"));
        Assert.Equal((1, 1), (ops.Count("QuantizeLinear"), ops.Count("DequantizeLinear")));
        var dwConv = ModelProto.Parser.ParseFrom(File.ReadAllBytes(output)).Graph.Node.Single(n => n.OpType == "QLinearConv" && n.Attribute.Any(a => a.Name == "group" && a.I == 16));
        Assert.NotNull(dwConv);

        // What ONNX Runtime runs: its NHWC transformer moves the whole block to channels-last, one Transpose in, one out.
        var optimized = OrtOptimizedOpCounts(output, GraphOptimizationLevel.ORT_ENABLE_ALL);
        Assert.Equal(2, optimized.Count("Transpose"));
        Assert.Equal((1, 1), (optimized.Count("QuantizeLinear"), optimized.Count("DequantizeLinear")));

        var x = RandomBatch(3, sample, seed: 100);
        var f = Run(input, x, [3, .. sample]);
        var q = Run(output, x, [3, .. sample]);
        double err = f.Zip(q).Max(p => Math.Abs(p.First - p.Second)), sy = Scale(output, g.Build().Graph.Output[0].Name);
        // Ten quantized tensors on the way, each rounding by half a step at most: a generous 10 output steps.
        Assert.True(err <= 10 * sy, $"max |error| {err:G4} > 10 output steps ({10 * sy:G4})");
    }

    [Fact]
    public void Concat_of_int8_branches_is_one_QLinearConcat()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 3, 6, 6);
        string a = g.Op("Relu", [g.Conv(x, 3, 4)]);
        string b = g.Conv(x, 3, 2, k: 1);
        string cat = g.Op("Concat", [a, b], ("axis", 1L));
        g.Output(g.Conv(cat, 6, 4));
        string input = g.Save(_dir, "concat.onnx");
        string output = Path.Combine(_dir, "concat.int8.onnx");
        OnnxQuantizer.Quantize(input, output, QOperator, CalibrationSet([3, 6, 6]));
        var ops = OpCounts(output);
        Assert.Equal(1, ops.Count("QLinearConcat"));
        Assert.Equal(0, ops.Count("Concat"));
        Assert.Equal(3, ops.Count("QLinearConv"));
        Assert.Equal((1, 1), (ops.Count("QuantizeLinear"), ops.Count("DequantizeLinear")));
        var xb = RandomBatch(3, [3, 6, 6], seed: 100);
        Assert.True(RelativeError(Run(input, xb, [3, 3, 6, 6]), Run(output, xb, [3, 3, 6, 6])) < 0.04);
    }
}
