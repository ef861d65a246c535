using Edge.Quantize;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using static Edge.Quantize.Tests.QuantizeTestKit;

namespace Edge.Quantize.Tests;

/// <summary>
/// The channels-last-conv-io graph pass: exact against the original graph under ONNX Runtime, and what it is for —
/// ONNX Runtime's optimized graph has no Transpose left around the conv (its NCHWc reorders absorb them).
/// </summary>
public sealed class ChannelsLastConvBoundariesTests : IDisposable
{
    private const string Pass = "channels-last-conv-io";
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>TinyViT's local conv as exported: tokens → Transpose [0,2,1] → Reshape [N, c, h, w] → depthwise 3x3 → Reshape [N, c, L] → Transpose → residual Add.</summary>
    private static TinyGraph LocalConv(long h, long w, long c)
    {
        var g = new TinyGraph(seed: 21);
        long l = h * w;
        string t = g.Input("t", l, c);
        string x = g.Op("Reshape", [g.Op("Transpose", [t], ("perm", new long[] { 0, 2, 1 })), g.Ints("to_map", -1, c, h, w)]);
        string y = g.Op("Conv", [x, g.Weight("dw", [c, 1, 3, 3], 0.5f), g.Weight("dw_b", [c], 0.2f)],
            ("group", c), ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }));
        string back = g.Op("Transpose", [g.Op("Reshape", [y, g.Ints("to_seq", -1, c, l)])], ("perm", new long[] { 0, 2, 1 }));
        g.Output(g.Op("Add", [back, t]));
        return g;
    }

    private (double MaxDiff, Dictionary<string, int> Ops, Dictionary<string, int> OrtOps, int Rewrites) Rewrite(TinyGraph g, string name, long[] sample)
    {
        string input = g.Save(_dir, name + ".onnx");
        string output = Path.Combine(_dir, name + ".out.onnx");
        var report = OnnxQuantizer.Quantize(input, output, new QuantizeOptions { Mode = QuantizationMode.Dynamic, OpTypes = [], GraphPasses = [Pass] }, ranges: null);
        return (MaxAbsDiff(input, output, sample, n: 3, seed: 22), OpCounts(output),
            OrtOptimizedOpCounts(output, GraphOptimizationLevel.ORT_ENABLE_ALL), report.GraphPasses[Pass]);
    }

    [Fact]
    public void The_token_round_trip_around_a_conv_becomes_channels_last_transposes_that_onnx_runtime_folds_away()
    {
        var (diff, ops, ortOps, rewrites) = Rewrite(LocalConv(4, 4, 32), "local", [16, 32]);
        Assert.Equal(2, rewrites); // the way in and the way out
        Assert.Equal(2, ops.Count("Transpose"));
        Assert.Equal(1, ops.Count("Conv"));
        Assert.Equal(0, ortOps.Count("Transpose"));
        Assert.True(diff < 1e-5, $"max |diff| {diff:E2}");
    }

    [Fact]
    public void An_activation_between_the_layout_transpose_and_the_conv_moves_before_it()
    {
        var g = new TinyGraph(seed: 23);
        string x = g.Input("x", 4, 4, 32); // channels-last map
        string nchw = g.Op("Transpose", [x], ("perm", new long[] { 0, 3, 1, 2 }));
        string y = g.Conv(g.Op("Relu", [nchw]), 32, 32);
        g.Output(g.Op("Transpose", [y], ("perm", new long[] { 0, 2, 3, 1 })));
        var (diff, ops, ortOps, rewrites) = Rewrite(g, "unary", [4, 4, 32]);
        Assert.Equal(1, rewrites);
        Assert.Equal(0, ortOps.Count("Transpose"));
        Assert.Equal(1, ops.Count("Relu"));
        Assert.True(diff < 1e-5, $"max |diff| {diff:E2}");
    }

    [Fact]
    public void Global_average_pooling_after_a_layout_transpose_becomes_a_channels_last_mean()
    {
        var g = new TinyGraph(seed: 24);
        string t = g.Input("t", 4, 24);
        string map = g.Op("Transpose", [g.Op("Reshape", [t, g.Ints("to_nhwc", -1, 2, 2, 24)])], ("perm", new long[] { 0, 3, 1, 2 }));
        string pooled = g.Op("GlobalAveragePool", [map]);
        g.Output(g.Op("Reshape", [pooled, g.Ints("flat", -1, 24)]));
        var (diff, ops, _, rewrites) = Rewrite(g, "pool", [4, 24]);
        Assert.Equal(1, rewrites);
        Assert.Equal(0, ops.Count("Transpose"));
        Assert.Equal(0, ops.Count("GlobalAveragePool"));
        Assert.Equal(1, ops.Count("ReduceMean"));
        Assert.True(diff < 1e-5, $"max |diff| {diff:E2}");
    }

    [Fact]
    public void A_layout_tensor_with_a_second_reader_is_left_alone()
    {
        var g = new TinyGraph(seed: 25);
        string t = g.Input("t", 16, 32);
        string seq = g.Op("Transpose", [t], ("perm", new long[] { 0, 2, 1 }));
        string x = g.Op("Reshape", [seq, g.Ints("to_map", -1, 32, 4, 4)]);
        string y = g.Conv(x, 32, 32);
        g.Output(y);
        g.Output(seq); // the [N, C, L] tensor is also a result: the Transpose must stay
        var (diff, ops, _, rewrites) = Rewrite(g, "shared", [16, 32]);
        Assert.Equal(0, rewrites);
        Assert.Equal(1, ops.Count("Transpose"));
        Assert.Equal(0.0, diff);
    }
}
