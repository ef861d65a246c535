using Edge.Quantize;
using Xunit;
using static Edge.Quantize.Tests.QuantizeTestKit;

namespace Edge.Quantize.Tests;

/// <summary>The token-depthwise-conv graph pass: exact against the round-trip graph under ONNX Runtime, and what it leaves alone.</summary>
public sealed class TokenDepthwiseConvTests : IDisposable
{
    private const string Pass = "token-depthwise-conv";
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>TinyViT's local conv: tokens [N, h·w, c] → Transpose → Reshape [N, c, h, w] → depthwise 3x3 → Reshape [N, c, h·w] → Transpose, then a residual Add.</summary>
    private static TinyGraph LocalConv(long h, long w, long c, bool bias = true, bool transposes = true)
    {
        var g = new TinyGraph(seed: 12);
        long l = h * w;
        string t = g.Input("t", l, c);
        string nchw = transposes ? g.Op("Transpose", [t], ("perm", new long[] { 0, 2, 1 })) : t;
        string x = g.Op("Reshape", [nchw, g.Ints("to_map", -1, c, h, w)]);
        string wt = g.Weight("dw", [c, 1, 3, 3], 0.5f);
        string[] inputs = bias ? [x, wt, g.Weight("dw_b", [c], 0.2f)] : [x, wt];
        string y = g.Op("Conv", inputs, ("group", c), ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }));
        string back = transposes
            ? g.Op("Transpose", [g.Op("Reshape", [y, g.Ints("to_seq", -1, c, l)])], ("perm", new long[] { 0, 2, 1 }))
            : g.Op("Reshape", [y, g.Ints("to_tokens", -1, 1, c)]);
        g.Output(g.Op("Add", [back, t]));
        return g;
    }

    private (double MaxDiff, Dictionary<string, int> Ops, int Rewrites) Rewrite(TinyGraph g, string name, long[] sample)
    {
        string input = g.Save(_dir, name + ".onnx");
        string output = Path.Combine(_dir, name + ".out.onnx");
        var report = OnnxQuantizer.Quantize(input, output, new QuantizeOptions { Mode = QuantizationMode.Dynamic, OpTypes = [], GraphPasses = [Pass] }, ranges: null);
        return (MaxAbsDiff(input, output, sample, n: 4, seed: 13), OpCounts(output), report.GraphPasses[Pass]);
    }

    [Theory]
    [InlineData(2, 2, true)]
    [InlineData(1, 2, false)]
    [InlineData(2, 2, false)]
    public void A_local_conv_on_a_tiny_map_becomes_token_arithmetic_and_matches_the_float_graph(long h, long w, bool bias)
    {
        var (diff, ops, rewrites) = Rewrite(LocalConv(h, w, 6, bias), $"local-{h}x{w}-{bias}", [h * w, 6]);
        Assert.Equal(1, rewrites);
        Assert.Equal(0, ops.Count("Conv"));
        Assert.Equal(0, ops.Count("Transpose"));
        Assert.Equal(1, ops.Count("ReduceSum"));
        Assert.True(diff < 1e-5, $"max |diff| {diff:E2}");
    }

    [Fact]
    public void On_a_1x1_map_only_the_centre_tap_remains()
    {
        var (diff, ops, rewrites) = Rewrite(LocalConv(1, 1, 5, transposes: false), "local-1x1", [1, 5]);
        Assert.Equal(1, rewrites);
        Assert.Equal(0, ops.Count("Conv"));
        Assert.Equal(0, ops.Count("Reshape"));
        Assert.Equal(0, ops.Count("ReduceSum"));
        Assert.True(diff < 1e-6, $"max |diff| {diff:E2}");
    }

    [Fact]
    public void A_map_larger_than_the_limit_keeps_its_conv()
    {
        var (diff, ops, rewrites) = Rewrite(LocalConv(4, 4, 6), "local-4x4", [16, 6]);
        Assert.Equal(0, rewrites);
        Assert.Equal(1, ops.Count("Conv"));
        Assert.Equal(0.0, diff);
    }
}
