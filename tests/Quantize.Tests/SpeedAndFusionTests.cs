using Edge.Core;
using Edge.Quantize;
using Edge.Onnx;
using Edge.Onnx.Graph;
using Edge.Quantize.Passes;
using Edge.Quantize.Speed;
using Edge.Onnx.Proto;
using Google.Protobuf;
using Xunit;
using static Edge.Quantize.Tests.QuantizeTestKit;

namespace Edge.Quantize.Tests;

/// <summary>Attention fusion, the per-layer speed search and auto mode (with a fake timer: decisions, not timings).</summary>
public sealed class SpeedAndFusionTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Window attention as `edge export` writes it: [N, 4 tokens, 8 channels], 2 heads of 4, learned bias [2, 4, 4], then a proj Linear.</summary>
    private static TinyGraph AttentionGraph()
    {
        const long n = 4, c = 8, heads = 2, kd = 4, inner = heads * kd;
        var g = new TinyGraph(seed: 3);
        string x = g.Input("x", n, c);
        string qkv = g.Op("Add", [g.Op("MatMul", [x, g.Weight("qkv_w", [c, 3 * inner])]), g.Weight("qkv_b", [3 * inner], 0.1f)]);
        // Split has three outputs; TinyGraph.Op makes one, so build it by hand.
        string split = g.Op("Split", [qkv, g.Ints("split_sizes", inner, inner, inner)], ("axis", 2L));
        string[] parts = [split, split + "_1", split + "_2"];
        string Head(string t, string shapeName, long[] perm) =>
            g.Op("Transpose", [g.Op("Reshape", [t, g.Ints(shapeName, -1, n, heads, kd)])], ("perm", perm));
        string q = Head(parts[0], "q_shape", [0, 2, 1, 3]);
        string kT = Head(parts[1], "k_shape", [0, 2, 3, 1]);
        string v = Head(parts[2], "v_shape", [0, 2, 1, 3]);
        string scores = g.Op("Add", [g.Op("MatMul", [q, kT]), g.Weight("attention_bias", [heads, n, n], 0.5f)]);
        string probs = g.Op("Softmax", [scores], ("axis", -1L));
        string o = g.Op("Transpose", [g.Op("MatMul", [probs, v])], ("perm", new long[] { 0, 2, 1, 3 }));
        string y = g.Op("Reshape", [o, g.Ints("out_shape", -1, n, inner)]);
        g.Output(g.Op("Add", [g.Op("MatMul", [y, g.Weight("proj_w", [inner, c])]), g.Weight("proj_b", [c], 0.1f)]));
        return g;
    }

    private string SaveAttention(string file)
    {
        var model = AttentionGraph().Build();
        var split = model.Graph.Node.First(n => n.OpType == "Split");
        split.Output.Add(split.Output[0] + "_1");
        split.Output.Add(split.Output[0] + "_2");
        string path = Path.Combine(_dir, file);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }

    [Theory]
    [InlineData(AttentionForm.MultiHeadAttention, "MultiHeadAttention")]
    [InlineData(AttentionForm.Attention, "Attention")]
    public void Fused_attention_is_one_node_and_matches_the_float_graph(AttentionForm form, string op)
    {
        string input = SaveAttention("attn.onnx");
        string output = Path.Combine(_dir, $"attn.{form}.onnx");
        // Quantizing nothing (no op types selected) isolates the fusion.
        var report = OnnxQuantizer.Quantize(input, output, new QuantizeOptions { Mode = QuantizationMode.Dynamic, OpTypes = [], FuseAttention = form }, ranges: null);
        Assert.Equal(1, report.FusedAttention);
        var ops = OpCounts(output);
        Assert.Equal(1, ops.Count(op));
        Assert.Equal(0, ops.Count("Softmax"));
        Assert.Equal(0, ops.Count("Transpose"));
        Assert.Equal(form == AttentionForm.MultiHeadAttention ? 1 : 0, ops.Count("Split"));

        long[] shape = [5, 4, 8];
        var x = RandomBatch(5, [4, 8], seed: 11);
        var expected = Run(input, x, shape);
        var actual = Run(output, x, shape);
        double maxDiff = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(maxDiff < 1e-5, $"max |diff| {maxDiff:E2}");
    }

    [Fact]
    public void Fused_attention_then_dynamic_int8_stays_close_to_float()
    {
        string input = SaveAttention("attn.onnx");
        string output = Path.Combine(_dir, "attn.dyn.onnx");
        var report = OnnxQuantizer.Quantize(input, output, new QuantizeOptions { Mode = QuantizationMode.Dynamic, FuseAttention = AttentionForm.MultiHeadAttention }, ranges: null);
        Assert.Equal(1, report.FusedAttention);
        Assert.Equal(2, OpCounts(output).Count("DynamicQuantizeMatMul")); // qkv and proj, each with its bias inside
        long[] shape = [5, 4, 8];
        var x = RandomBatch(5, [4, 8], seed: 11);
        double err = RelativeError(Run(input, x, shape), Run(output, x, shape));
        Assert.True(err < 0.05, $"relative error {err:F4}");
    }

    [Fact]
    public void Fusion_leaves_a_graph_without_the_pattern_alone_and_never_touches_the_input()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 3, 8, 8);
        g.Output(g.Op("Softmax", [g.Conv(x, 3, 8)], ("axis", -1L)));
        string input = g.Save(_dir, "cnn.onnx");
        byte[] before = File.ReadAllBytes(input);
        var report = OnnxQuantizer.Quantize(input, Path.Combine(_dir, "cnn.out.onnx"), new QuantizeOptions { Mode = QuantizationMode.Dynamic, FuseAttention = AttentionForm.MultiHeadAttention }, ranges: null);
        Assert.Equal(0, report.FusedAttention);
        Assert.Equal(before, File.ReadAllBytes(input));
    }

    /// <summary>
    /// A timer that reads the model instead of running it: each listed node costs its value while in int8 (at batch 1;
    /// <paramref name="batchFactor"/> times that at batch 64), 1 while float, plus a base cost of 10 (80 at batch 64).
    /// </summary>
    internal sealed class FakeProbe(Dictionary<string, double> int8Cost, double batchFactor = 8, Dictionary<string, double>? int8Cost64 = null) : ISpeedProbe
    {
        public int Calls { get; private set; }

        public IReadOnlyList<int> BatchSizes { get; } = [1, 64];

        public double[] Measure(string modelPath)
        {
            Calls++;
            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
            double b1 = 10, b64 = 80;
            foreach (var (node, c) in int8Cost)
            {
                bool isFloat = model.Graph.Node.Any(n => n.Name == node); // the float node keeps its name; int8 ones get "_quant"
                b1 += isFloat ? 1 : c;
                b64 += isFloat ? 8 : int8Cost64?.GetValueOrDefault(node, c * batchFactor) ?? c * batchFactor;
            }
            return [b1, b64];
        }

        public void Dispose() { }
    }

    private string TwoConvs()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 3, 8, 8);
        string a = g.Op("Relu", [g.Conv(x, 3, 8)]);
        g.Output(g.Op("Relu", [g.Conv(a, 8, 8)]));
        return g.Save(_dir, "two-convs.onnx");
    }

    [Fact]
    public void Speed_search_keeps_a_layer_float_when_its_int8_form_is_slower()
    {
        string input = TwoConvs();
        var model = ModelFile.Load(input);
        var convs = model.Graph.Node.Where(n => n.OpType == "Conv").Select(n => n.Name).ToArray();
        var ranges = Edge.Quantize.Calibration.RangeCollector.Collect(model, CalibrationSet([3, 8, 8]), new());
        // First conv: int8 costs 0.5 (faster than float's 1); second conv: int8 costs 3 (slower).
        using var probe = new FakeProbe(new() { [convs[0]] = 0.5, [convs[1]] = 3 });
        string output = Path.Combine(_dir, "two-convs.int8.onnx");
        var result = SpeedSearch.Run(input, output, new QuantizeOptions(), ranges, probe, new SpeedSearchOptions { Repeats = 1 });

        Assert.Equal([convs[1]], result.KeptInFloat);
        Assert.Contains(result.Layers, l => l.Node == convs[0] && !l.KeptInFloat && l.CostRatio > 1);
        Assert.Contains(result.Layers, l => l.Node == convs[1] && l.KeptInFloat && l.CostRatio < 1);
        var ops = OpCounts(output);
        Assert.Equal(1, ops.Count("QLinearConv"));
        Assert.Equal(1, ops.Count("Conv"));
        Assert.Contains(result.Report.KeptInFloat, f => f.Name == convs[1] && f.Reason.Contains("keep-in-float"));
    }

    [Fact]
    public void Speed_search_leaves_a_slow_layer_int8_when_float_would_break_the_size_budget()
    {
        string input = TwoConvs();
        var model = ModelFile.Load(input);
        var convs = model.Graph.Node.Where(n => n.OpType == "Conv").Select(n => n.Name).ToArray();
        var ranges = Edge.Quantize.Calibration.RangeCollector.Collect(model, CalibrationSet([3, 8, 8]), new());
        using var probe = new FakeProbe(new() { [convs[0]] = 3, [convs[1]] = 3 });
        // Any float conv pushes this tiny model far above 1% of its fp32 size.
        var result = SpeedSearch.Run(input, Path.Combine(_dir, "out.onnx"), new QuantizeOptions(), ranges, probe, new SpeedSearchOptions { Repeats = 1, MaxSizeRatio = 0.01 });
        Assert.Empty(result.KeptInFloat);
        Assert.All(result.Layers, l => Assert.True(double.IsNaN(l.CostRatio)));
        Assert.Equal(0, probe.Calls);
    }

    [Fact]
    public void Speed_search_keeps_everything_int8_when_int8_is_faster()
    {
        string input = TwoConvs();
        var model = ModelFile.Load(input);
        var convs = model.Graph.Node.Where(n => n.OpType == "Conv").Select(n => n.Name).ToArray();
        var ranges = Edge.Quantize.Calibration.RangeCollector.Collect(model, CalibrationSet([3, 8, 8]), new());
        using var probe = new FakeProbe(new() { [convs[0]] = 0.5, [convs[1]] = 0.5 });
        var result = SpeedSearch.Run(input, Path.Combine(_dir, "out.onnx"), new QuantizeOptions(), ranges, probe, new SpeedSearchOptions { Repeats = 3 });
        Assert.Empty(result.KeptInFloat);
        Assert.Equal(2, result.Layers.Count);
        Assert.Equal(2 * 2 * 3, probe.Calls); // two layers, A and B, three interleaved repeats
    }

    [Fact]
    public void Auto_mode_picks_the_cheapest_form_and_skips_the_layer_search_when_it_is_faster_everywhere()
    {
        string input = TwoConvs();
        // Convs only run int8 in the static forms, so the fake timer makes "static+attention" the cheapest.
        var model = ModelFile.Load(input);
        var convs = model.Graph.Node.Where(n => n.OpType == "Conv").Select(n => n.Name).ToArray();
        using var probe = new FakeProbe(new() { [convs[0]] = 0.2, [convs[1]] = 0.2 });
        var result = AutoQuantizer.Run(input, Path.Combine(_dir, "auto.onnx"), new QuantizeOptions(), CalibrationSet([3, 8, 8]), probe,
            auto: new AutoOptions { Rounds = 1, Search = new SpeedSearchOptions { Repeats = 1 } });
        Assert.Equal("static+attention", result.Chosen);
        Assert.Null(result.Search);
        Assert.Empty(result.KeptForSpeed);
        Assert.Equal(2, OpCounts(Path.Combine(_dir, "auto.onnx")).Count("QLinearConv"));
        // The dynamic and Linear-only forms leave both convs float: they quantize nothing and are never timed or chosen.
        Assert.Equal(["static+attention"], result.Candidates.Select(c => c.Name));
        var chosen = result.Candidates.Single(c => c.Name == "static+attention");
        Assert.Equal(12.0 / 10.4, chosen.Speedups[0], 6); // fp32 10 + 1 + 1 against int8 10 + 0.2 + 0.2
    }

    [Fact]
    public void Auto_mode_falls_back_layer_by_layer_when_its_best_form_is_slower_than_fp32_at_a_batch_size()
    {
        string input = TwoConvs();
        var model = ModelFile.Load(input);
        var convs = model.Graph.Node.Where(n => n.OpType == "Conv").Select(n => n.Name).ToArray();
        // Both convs are faster in int8 at batch 1 (0.1 vs 1); at batch 64 conv0 is much slower (20 vs 8): the only form
        // that quantizes anything (static) loses to fp32 at batch 64 (100.8 vs 96) until conv0 goes back to float.
        using var probe = new FakeProbe(new() { [convs[0]] = 0.1, [convs[1]] = 0.1 }, int8Cost64: new() { [convs[0]] = 20, [convs[1]] = 0.8 });
        var result = AutoQuantizer.Run(input, Path.Combine(_dir, "auto.onnx"), new QuantizeOptions(), CalibrationSet([3, 8, 8]), probe,
            auto: new AutoOptions { Rounds = 1, Search = new SpeedSearchOptions { Repeats = 1, MinGain = 0 } });
        Assert.Equal("static+attention", result.Chosen);
        Assert.True(result.Candidates.Single(c => c.Name == "static+attention").Speedups[1] < 1);
        Assert.NotNull(result.Search);
        Assert.Equal([convs[0]], result.KeptForSpeed);
        Assert.Contains(convs[0], result.Options.KeepInFloat);
        Assert.Equal(1, OpCounts(Path.Combine(_dir, "auto.onnx")).Count("QLinearConv"));
    }

    [Fact]
    public void Auto_mode_recalibrates_the_fastest_form_before_trying_a_slower_one()
    {
        string input = TwoConvs();
        var convs = ModelFile.Load(input).Graph.Node.Where(n => n.OpType == "Conv").Select(n => n.Name).ToArray();
        using var probe = new FakeProbe(new() { [convs[0]] = 0.5, [convs[1]] = 0.5 });
        // Only the entropy-calibrated build of a form meets the budget (the file name tells the fake metric which it is).
        var evaluated = new List<string>();
        double Metric(string path) { evaluated.Add(Path.GetFileName(path)); return path == input || path.EndsWith(".entropy.onnx") ? 0.9 : 0.5; }
        var result = AutoQuantizer.Run(input, Path.Combine(_dir, "auto.onnx"), new QuantizeOptions(), CalibrationSet([3, 8, 8]), probe,
            evaluate: Metric, auto: new AutoOptions { Rounds = 1 });
        Assert.Equal("static+attention (entropy ranges)", result.Chosen);
        Assert.Equal(Edge.Quantize.Calibration.CalibrationMethod.Entropy, result.Options.Calibration.Method);
        Assert.Equal(["two-convs.onnx", "static+attention.onnx", "static+attention.entropy.onnx"], evaluated); // fp32, then the fastest form, then its recalibration
    }

    [Fact]
    public void Auto_mode_falls_back_layer_by_layer_for_accuracy_when_no_form_fits_the_budget()
    {
        string input = TwoConvs();
        var convs = ModelFile.Load(input).Graph.Node.Where(n => n.OpType == "Conv").Select(n => n.Name).ToArray();
        // int8 convs are cheaper, so the fully static form is the fastest.
        using var probe = new FakeProbe(new() { [convs[0]] = 0.5, [convs[1]] = 0.5 });
        // fp32 scores 0.9; an int8 model only with the first conv float (the one adding the most noise: it quantizes the
        // raw input) and the second int8, 0.5 otherwise. No candidate has that mix (dynamic forms leave both float, static
        // ones quantize both): only the per-layer fallback finds it.
        double Metric(string path)
        {
            if (path == input) return 0.9;
            var nodes = ModelFile.Load(path).Graph.Node;
            return nodes.Any(n => n.Name == convs[0]) && nodes.Any(n => n.OpType == "QLinearConv") ? 0.9 : 0.5;
        }
        var result = AutoQuantizer.Run(input, Path.Combine(_dir, "auto.onnx"), new QuantizeOptions(), CalibrationSet([3, 8, 8]), probe,
            evaluate: Metric, auto: new AutoOptions { Rounds = 1, MaxDrop = 0.003 });
        Assert.EndsWith("+ sensitivity", result.Chosen);
        Assert.Equal([convs[0]], result.KeptForAccuracy);
        Assert.All(result.Candidates.Where(c => c.SameAs is null && c.Metric < 0.9), c => Assert.False(c.WithinBudget));
    }

    [Fact]
    public void OnnxQuantizer_refuses_auto_mode_with_a_clear_message()
    {
        string input = TwoConvs();
        var e = Assert.Throws<EdgeException>(() => OnnxQuantizer.Quantize(input, Path.Combine(_dir, "x.onnx"), new QuantizeOptions { Mode = QuantizationMode.Auto }, CalibrationSet([3, 8, 8])));
        Assert.Contains("Auto", e.Message);
    }

    [Fact]
    public void Speed_search_options_are_validated()
    {
        Assert.Throws<EdgeException>(() => new SpeedSearchOptions { Repeats = 0 }.Validate());
        Assert.Throws<EdgeException>(() => new SpeedSearchOptions { MinGain = 1.5 }.Validate());
        Assert.Throws<EdgeException>(() => new SpeedSearchOptions { MaxTrials = -1 }.Validate());
        Assert.Throws<EdgeException>(() => new AutoOptions { Rounds = 0 }.Validate());
    }
}
