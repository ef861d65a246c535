using Edge.Core;
using Edge.Quantize.Calibration;
using Edge.Quantize.Passes;

namespace Edge.Quantize.Speed;

/// <summary>One configuration <see cref="AutoQuantizer"/> tried: its cost vs fp32 (below 1 = faster) and metric.</summary>
public sealed record AutoCandidate(string Name, double CostRatio, double? Metric, bool WithinBudget);

public sealed record AutoQuantizeResult(string Chosen, QuantizeOptions Options, SpeedSearchResult Search, IReadOnlyList<AutoCandidate> Candidates, double? FloatMetric);

/// <summary>
/// <c>--mode auto</c>: picks the int8 form by measuring, not by rule. It builds a few whole-model configurations
/// (dynamic; static QOperator on Linear layers only; static QOperator everywhere; dynamic after the exact conv
/// rewrites of <see cref="ConvRewrites"/>, without and with Linear layers as QLinearConv — each with attention fused
/// into one com.microsoft MultiHeadAttention where the graph has one), times each against fp32 interleaved,
/// drops those that miss the accuracy budget, keeps the fastest, and then runs the per-layer
/// <see cref="SpeedSearch"/> on it so that layers where int8 is slower stay float. Works for any classifier: a
/// CNN without attention simply has nothing to fuse, and its convs make the static form win.
/// </summary>
public static class AutoQuantizer
{
    /// <summary>The configurations tried, derived from the user's options (weight/activation types, per-channel, calibration, keep-in-float).</summary>
    public static IReadOnlyList<(string Name, QuantizeOptions Options)> Candidates(QuantizeOptions template) =>
    [
        ("dynamic+attention", template with { Mode = QuantizationMode.Dynamic, FuseAttention = AttentionForm.MultiHeadAttention }),
        ("static-linear+attention", template with { Mode = QuantizationMode.StaticQOperator, OpTypes = ["MatMul", "Gemm"], FuseAttention = AttentionForm.MultiHeadAttention }),
        ("static+attention", template with { Mode = QuantizationMode.StaticQOperator, FuseAttention = AttentionForm.MultiHeadAttention }),
        // Dynamic int8 after the conv rewrites: exact layout passes plus int8-stored weights for the convs that stay float.
        ("dynamic+attention+conv-rewrites", template with
        {
            Mode = QuantizationMode.Dynamic,
            FuseAttention = AttentionForm.MultiHeadAttention,
            GraphPasses = [.. template.GraphPasses, .. ConvRewrites.Where(p => !template.GraphPasses.Contains(p))],
        }),
        // The same with calibrated Linear layers as QLinearConv 1x1: ORT keeps batch-1 token GEMMs on one thread.
        ("dynamic+attention+conv-rewrites+qlinearconv-linears", template with
        {
            Mode = QuantizationMode.Dynamic,
            FuseAttention = AttentionForm.MultiHeadAttention,
            GraphPasses = [.. template.GraphPasses, .. ConvRewrites.Where(p => !template.GraphPasses.Contains(p))],
            LinearsAsQLinearConv = true,
        }),
    ];

    /// <summary>The graph passes of the "+conv-rewrites" candidate, in the order they run.</summary>
    public static readonly IReadOnlyList<string> ConvRewrites = ["pointwise-conv-matmul", "token-depthwise-conv", "int8-conv-weights", "channels-last-conv-io"];

    /// <param name="evaluate">Optional metric (higher is better, e.g. top-1 as a fraction) of a model file; with it, candidates more than <paramref name="maxDrop"/> below fp32 are skipped.</param>
    public static AutoQuantizeResult Run(string inputPath, string outputPath, QuantizeOptions template, ICalibrationSource? calibration,
        ISpeedProbe probe, Func<string, double>? evaluate = null, double maxDrop = 0.003, int rounds = 5,
        SpeedSearchOptions? search = null, Action<string>? log = null)
    {
        search ??= new SpeedSearchOptions();
        search.Validate();
        if (rounds < 1) throw new EdgeException($"auto quantization needs at least one timing round, got {rounds}");
        ModelFile.CheckDistinct(inputPath, outputPath);
        var model = ModelFile.Load(inputPath);
        ModelInputs.SingleFloatInput(model);
        var candidates = Candidates(template);
        if (candidates.Any(c => c.Options.NeedsCalibration) && calibration is null)
            throw new EdgeException("auto quantization needs a calibration set (it tries static int8 too)");
        // Ranges are collected on each candidate's rewritten graph; candidates with the same rewrites share them.
        var rangesByRewrite = new Dictionary<string, TensorRangeSet>(StringComparer.Ordinal);
        TensorRangeSet? RangesFor(QuantizeOptions options)
        {
            if (!options.NeedsCalibration) return null;
            string key = $"{options.FuseAttention}|{string.Join(",", options.GraphPasses)}";
            if (!rangesByRewrite.TryGetValue(key, out var r)) rangesByRewrite[key] = r = OnnxQuantizer.Calibrate(model, options, calibration!);
            return r;
        }

        string dir = Path.Combine(Path.GetTempPath(), "edge-auto-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            double? fp32Metric = evaluate?.Invoke(inputPath);
            var built = new List<(string Name, QuantizeOptions Options, string Path, double? Metric, bool Ok)>();
            foreach (var (name, options) in candidates)
            {
                string path = Path.Combine(dir, name + ".onnx");
                OnnxQuantizer.Quantize(inputPath, path, options, RangesFor(options));
                double? metric = evaluate?.Invoke(path);
                bool ok = metric is null || fp32Metric - metric <= maxDrop;
                built.Add((name, options, path, metric, ok));
                log?.Invoke($"candidate {name}: built{(metric is { } m ? $", metric {m:0.####} (fp32 {fp32Metric:0.####})" : "")}{(ok ? "" : " — over the accuracy budget, skipped")}");
            }
            var eligible = built.Where(b => b.Ok).ToList();
            if (eligible.Count == 0)
                throw new EdgeException($"auto quantization: every configuration misses the accuracy budget (fp32 {fp32Metric:0.####}; {string.Join(", ", built.Select(b => $"{b.Name} {b.Metric:0.####}"))}); use --accuracy-budget with a fixed --mode to keep sensitive layers in float");

            // Rounds interleave fp32 and every candidate, so load from other processes hits all alike.
            var ratios = eligible.Select(_ => new List<double>()).ToArray();
            for (int r = 0; r < rounds; r++)
            {
                var f = probe.Measure(inputPath);
                for (int i = 0; i < eligible.Count; i++)
                {
                    var s = probe.Measure(eligible[i].Path);
                    ratios[i].Add(search.Batch1Weight * (s.Batch1Ms / f.Batch1Ms) + (1 - search.Batch1Weight) * (s.BatchMs / f.BatchMs));
                }
            }
            var results = built.Select(b =>
            {
                int i = eligible.FindIndex(e => e.Name == b.Name);
                double cost = i < 0 ? double.NaN : Median(ratios[i]);
                return new AutoCandidate(b.Name, cost, b.Metric, b.Ok);
            }).ToList();
            foreach (var c in results.Where(c => c.WithinBudget)) log?.Invoke($"candidate {c.Name}: cost x{c.CostRatio:0.000} of fp32");
            var chosen = results.Where(c => c.WithinBudget).MinBy(c => c.CostRatio)!;
            var chosenOptions = built.First(b => b.Name == chosen.Name).Options;
            if (probe is OrtSpeedProbe ort) foreach (var b in built) ort.Forget(b.Path);

            var searchResult = SpeedSearch.Run(inputPath, outputPath, chosenOptions, RangesFor(chosenOptions), probe, search, log);
            return new AutoQuantizeResult(chosen.Name, chosenOptions, searchResult, results, fp32Metric);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s[s.Length / 2];
    }
}
