using Edge.Quantize.Sensitivity;
using Edge.Onnx;
using Xunit;
using static Edge.Quantize.Tests.QuantizeTestKit;

namespace Edge.Quantize.Tests;

public sealed class LayerErrorRankingTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_conv_whose_weights_an_outlier_stretches_ranks_first()
    {
        // conv A → ReLU → conv B → ReLU → conv C. A's channel 0 is always negative (bias −100), so after the ReLU it is 0;
        // in B every output channel has a weight of 9 on that dead input channel and ±0.15 on the others. The 9s carry no
        // signal but set B's per-channel int8 scales (9/127), so its live weights round to 0, ±1, ±2: by far the most
        // noise any node adds, and keeping B float removes it.
        var g = new TinyGraph(seed: 2);
        string x = g.Input("x", 4, 6, 6);
        var rng = new Random(7);
        float[] Random(int n, float amplitude) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5) * 2 * amplitude).ToArray();
        string a = g.Op("Relu", [g.Op("Conv", [x, g.Constant("wa", [4, 4, 1, 1], Random(16, 0.5f)), g.Constant("ba", [4], -100f, 0.1f, 0.1f, 0.1f)], ("kernel_shape", new long[] { 1, 1 }))]);
        var w = Random(4 * 4 * 3 * 3, 0.15f);
        for (int o = 0; o < 4; o++) w[o * 36 + 4] = 9f; // input channel 0, centre tap
        string b = g.Op("Relu", [g.Op("Conv", [a, g.Constant("w_outlier", [4, 4, 3, 3], w)], ("kernel_shape", new long[] { 3, 3 }), ("pads", new long[] { 1, 1, 1, 1 }))]);
        g.Output(g.Conv(b, 4, 4));
        string input = g.Save(_dir, "outlier.onnx");
        string int8 = Path.Combine(_dir, "outlier.int8.onnx");
        var report = OnnxQuantizer.Quantize(input, int8, new QuantizeOptions(), CalibrationSet([4, 6, 6]));

        var ranked = LayerErrorRanking.Rank(input, int8, new QuantizeOptions(), report, RandomBatch(8, [4, 6, 6], seed: 100), [4, 6, 6]);
        var outlierConv = ModelFile.Load(input).Graph.Node.Single(n => n.OpType == "Conv" && n.Input[1] == "w_outlier").Name;
        Assert.True(outlierConv == ranked[0].Node, string.Join(", ", ranked.Select(r => $"{r.Node} out {r.OutputNoise:E2} added {r.AddedNoise:E2}")));
        Assert.True(ranked[0].AddedNoise > 100 * ranked.Skip(1).Max(r => r.AddedNoise), string.Join(", ", ranked.Select(r => $"{r.Node} {r.AddedNoise:E2}")));
        Assert.All(ranked, r => Assert.InRange(r.OutputNoise, 0, 1));

        // And the ranking is right about what float buys: B float cuts the model's error far more than the runner-up does.
        double ErrorWith(string floatNode)
        {
            string path = Path.Combine(_dir, floatNode + ".onnx");
            OnnxQuantizer.Quantize(input, path, new QuantizeOptions { KeepInFloat = [floatNode] }, CalibrationSet([4, 6, 6]));
            var xb = RandomBatch(8, [4, 6, 6], seed: 100);
            return MeanRelativeError(Run(input, xb, [8, 4, 6, 6]), Run(path, xb, [8, 4, 6, 6]));
        }
        Assert.True(ErrorWith(outlierConv) < ErrorWith(ranked[1].Node) / 2);
    }
}
