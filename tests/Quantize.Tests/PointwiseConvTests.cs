using Edge.Core;
using Edge.Quantize;
using Xunit;
using static Edge.Quantize.Tests.QuantizeTestKit;

namespace Edge.Quantize.Tests;

/// <summary>The pointwise-conv-matmul graph pass: exact against the unrewritten graph under ONNX Runtime, and what it leaves alone.</summary>
public sealed class PointwiseConvTests : IDisposable
{
    private const string Pass = "pointwise-conv-matmul";
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Only the pass: nothing is quantized, so any difference is the rewrite's.</summary>
    private static QuantizeOptions PassOnly => new() { Mode = QuantizationMode.Dynamic, OpTypes = [], GraphPasses = [Pass] };

    private (string Input, string Output, Edge.Quantize.QuantizeReport Report) Rewrite(TinyGraph g, string name, QuantizeOptions? options = null)
    {
        string input = g.Save(_dir, name + ".onnx");
        string output = Path.Combine(_dir, name + ".out.onnx");
        var report = OnnxQuantizer.Quantize(input, output, options ?? PassOnly, ranges: null);
        return (input, output, report);
    }

    private static double MaxDiff(string a, string b, long[] sample) => MaxAbsDiff(a, b, sample, n: 5, seed: 7);

    /// <summary>Patch merging as a TinyViT exports it: tokens (NHWC) → NCHW → 1x1 → act → 3x3 → 1x1 → back to NHWC.</summary>
    private static TinyGraph PatchMerging()
    {
        var g = new TinyGraph(seed: 5);
        string x = g.Input("x", 4, 4, 8);
        string nchw = g.Op("Transpose", [x], ("perm", new long[] { 0, 3, 1, 2 }));
        string a = g.Op("Relu", [g.Conv(nchw, 8, 12, k: 1)]);
        string b = g.Op("Relu", [g.Conv(a, 12, 12, k: 3, stride: 2)]);
        string c = g.Conv(b, 12, 6, k: 1, bias: false);
        g.Output(g.Op("Transpose", [c], ("perm", new long[] { 0, 2, 3, 1 })));
        return g;
    }

    [Fact]
    public void Convs_next_to_layout_transposes_become_matmuls_and_match_the_float_graph()
    {
        var (input, output, report) = Rewrite(PatchMerging(), "merge");
        Assert.Equal(2, report.GraphPasses[Pass]);
        var ops = OpCounts(output);
        Assert.Equal(1, ops.Count("Conv")); // the 3x3 stays
        Assert.Equal(2, ops.Count("MatMul"));
        Assert.Equal(2, ops.Count("Transpose")); // each 1x1 lost one neighbour Transpose and needed one on its other side
        double diff = MaxDiff(input, output, [4, 4, 8]);
        Assert.True(diff < 1e-5, $"max |diff| {diff:E2}");
    }

    [Fact]
    public void A_conv_on_a_1x1_map_reads_and_writes_through_reshapes()
    {
        // Stage 3 of the student: a 1x1 map, then tokens [N, 1, C]; the final Reshape is rewired to the MatMul output.
        var g = new TinyGraph(seed: 6);
        string x = g.Input("x", 8, 1, 1);
        string y = g.Conv(g.Op("Relu", [x]), 8, 5, k: 1);
        g.Output(g.Op("Reshape", [y, g.Ints("tokens", -1, 1, 5)]));
        var (input, output, report) = Rewrite(g, "unit");
        Assert.Equal(1, report.GraphPasses[Pass]);
        var ops = OpCounts(output);
        Assert.Equal(0, ops.Count("Conv"));
        Assert.Equal(0, ops.Count("Transpose"));
        Assert.Equal(2, ops.Count("Reshape"));
        double diff = MaxDiff(input, output, [8, 1, 1]);
        Assert.True(diff < 1e-5, $"max |diff| {diff:E2}");
    }

    [Fact]
    public void A_conv_on_a_1x1_map_read_by_a_non_reshape_gets_its_nchw_shape_back()
    {
        var g = new TinyGraph(seed: 8);
        string x = g.Input("x", 8, 1, 1);
        g.Output(g.Op("Relu", [g.Conv(x, 8, 5, k: 1)]));
        var (input, output, report) = Rewrite(g, "unit-relu");
        Assert.Equal(1, report.GraphPasses[Pass]);
        Assert.Equal(0, OpCounts(output).Count("Conv"));
        Assert.True(MaxAbsDiff(input, output, [8, 1, 1], n: 3, seed: 9) < 1e-5);
    }

    [Fact]
    public void Convs_that_would_gain_two_transposes_or_are_not_pointwise_stay_convs()
    {
        var g = new TinyGraph(seed: 10);
        string x = g.Input("x", 8, 4, 4);
        string a = g.Op("Relu", [g.Conv(x, 8, 8, k: 1)]); // NCHW on both sides, map 4x4: two Transposes would be added
        string t = g.Op("Transpose", [a], ("perm", new long[] { 0, 2, 3, 1 }));
        string back = g.Op("Transpose", [t], ("perm", new long[] { 0, 3, 1, 2 }));
        string s = g.Conv(back, 8, 8, k: 1, stride: 2); // strided: not a per-pixel MatMul
        g.Output(g.Op("Transpose", [s], ("perm", new long[] { 0, 2, 3, 1 })));
        var (input, output, report) = Rewrite(g, "alone");
        Assert.Equal(0, report.GraphPasses[Pass]);
        Assert.Equal(2, OpCounts(output).Count("Conv"));
        Assert.Equal(0.0, MaxDiff(input, output, [8, 4, 4]));
    }

    [Fact]
    public void Dynamic_int8_after_the_pass_quantizes_the_pointwise_convs_and_stays_close()
    {
        var (input, output, report) = Rewrite(PatchMerging(), "merge-int8", new QuantizeOptions { Mode = QuantizationMode.Dynamic, GraphPasses = [Pass] });
        Assert.Equal(2, report.GraphPasses[Pass]);
        var ops = OpCounts(output);
        Assert.Equal(2, ops.Count("DynamicQuantizeMatMul"));
        Assert.Equal(0, ops.Count("Add")); // the first conv's bias runs inside the kernel
        var x = RandomBatch(5, [4, 4, 8], seed: 7);
        double err = RelativeError(Run(input, x, [5, 4, 4, 8]), Run(output, x, [5, 4, 4, 8]));
        Assert.True(err < 0.05, $"relative error {err:F4}");
    }

    [Fact]
    public void With_a_symbolic_image_size_only_the_layout_rewrites_apply()
    {
        // Input [N, C, H, W] with H, W symbolic: no map size is known, so neither the 1x1-map rewrite nor the token
        // depthwise pass may fire, while the conv next to a layout Transpose is still rewritten (it needs no size).
        var g = new TinyGraph(seed: 14);
        string x = g.Input("x", 8, 1, 1);
        string y = g.Conv(g.Op("Relu", [x]), 8, 6, k: 1);
        g.Output(g.Op("Transpose", [g.Conv(g.Op("Relu", [y]), 6, 5, k: 1)], ("perm", new long[] { 0, 2, 3, 1 })));
        var model = g.Build();
        var dims = model.Graph.Input[0].Type.TensorType.Shape.Dim;
        dims[2] = new Edge.Onnx.Proto.TensorShapeProto.Types.Dimension { DimParam = "H" };
        dims[3] = new Edge.Onnx.Proto.TensorShapeProto.Types.Dimension { DimParam = "W" };
        string input = Path.Combine(_dir, "symbolic.onnx");
        File.WriteAllBytes(input, Google.Protobuf.MessageExtensions.ToByteArray(model));
        string output = Path.Combine(_dir, "symbolic.out.onnx");
        var report = OnnxQuantizer.Quantize(input, output, new QuantizeOptions { Mode = QuantizationMode.Dynamic, OpTypes = [], GraphPasses = [Pass, "token-depthwise-conv"] }, ranges: null);
        Assert.Equal(1, report.GraphPasses[Pass]);
        Assert.Equal(0, report.GraphPasses["token-depthwise-conv"]);
        Assert.Equal(1, OpCounts(output).Count("Conv"));
        Assert.True(MaxAbsDiff(input, output, [8, 3, 3], n: 2, seed: 15) < 1e-5);
    }

    [Fact]
    public void An_unknown_pass_name_is_a_clear_error()
    {
        var g = new TinyGraph();
        g.Output(g.Op("Relu", [g.Input("x", 4)]));
        string input = g.Save(_dir, "relu.onnx");
        var e = Assert.Throws<EdgeException>(() => OnnxQuantizer.Quantize(input, Path.Combine(_dir, "relu.out.onnx"), new QuantizeOptions { Mode = QuantizationMode.Dynamic, GraphPasses = ["pointwise-conv"] }, ranges: null));
        Assert.Contains("unknown graph pass 'pointwise-conv'", e.Message);
        Assert.Contains(Pass, e.Message);
    }
}
