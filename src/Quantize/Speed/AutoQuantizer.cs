using System.Security.Cryptography;
using Edge.Core;
using Edge.Quantize.Calibration;
using Edge.Quantize.Passes;
using Edge.Quantize.Sensitivity;

namespace Edge.Quantize.Speed;

/// <summary>When auto mode runs the per-layer speed search after choosing a form.</summary>
public enum LayerSearch
{
    /// <summary>Only when the chosen form is slower than fp32 at some batch size: the layer-by-layer fallback.</summary>
    IfSlower,
    /// <summary>Always (slower: every trial layer costs a quantization and 2 × Repeats timings), for the last few percent.</summary>
    Always,
    /// <summary>Never.</summary>
    Never,
}

public sealed record AutoOptions
{
    /// <summary>Largest metric drop from fp32 a candidate may show (in the metric's units: 0.003 = 0.3 top-1 points).</summary>
    public double MaxDrop { get; init; } = 0.003;

    /// <summary>Interleaved timing rounds of fp32 and every candidate; medians decide.</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>The chosen form must be at least this much faster than fp32 at every batch size, or the layer search runs.</summary>
    public double MinSpeedup { get; init; } = 1.0;

    /// <summary>
    /// Forms faster than fp32 by at least <see cref="MinSpeedup"/> + this at every batch size are preferred: a form
    /// within noise of fp32 (one that quantizes only the classifier) would pass one measurement and fail the next.
    /// </summary>
    public double Margin { get; init; } = 0.05;

    public LayerSearch LayerSearch { get; init; } = LayerSearch.IfSlower;

    public SpeedSearchOptions Search { get; init; } = new();

    public void Validate()
    {
        if (!(MaxDrop >= 0) || double.IsInfinity(MaxDrop)) throw new EdgeException($"auto quantization accuracy budget must be a finite number ≥ 0, got {MaxDrop}");
        if (Rounds < 1) throw new EdgeException($"auto quantization needs at least one timing round, got {Rounds}");
        if (!(MinSpeedup > 0)) throw new EdgeException($"auto quantization min speed-up must be > 0, got {MinSpeedup}");
        if (!(Margin >= 0)) throw new EdgeException($"auto quantization speed margin must be ≥ 0, got {Margin}");
        Search.Validate();
    }
}

/// <summary>
/// One configuration <see cref="AutoQuantizer"/> tried: its speed-up over fp32 per batch size, cost (below 1 = faster)
/// and metric (null when not evaluated: a faster form already met the budget).
/// </summary>
public sealed record AutoCandidate(string Name, IReadOnlyList<double> Speedups, double CostRatio, double? Metric, bool WithinBudget, string? SameAs = null);

public sealed record AutoQuantizeResult(
    string Chosen, QuantizeOptions Options, QuantizeReport Report, IReadOnlyList<AutoCandidate> Candidates, double? FloatMetric,
    IReadOnlyList<string> KeptForSpeed, IReadOnlyList<string> KeptForAccuracy, SpeedSearchResult? Search);

/// <summary>
/// <c>--mode auto</c>: picks the int8 form by measuring, not by rule. It builds a few whole-model configurations
/// (dynamic; static QOperator on Linear layers only; static QOperator everywhere, which keeps a mobile CNN's blocks in
/// int8; dynamic after the exact conv rewrites of <see cref="ConvRewrites"/>, without and with Linear layers as
/// QLinearConv — each with attention fused where the graph has one), drops those that quantize nothing, times the rest against fp32 interleaved at the probe's batch sizes and keeps the cheapest of
/// those no slower than fp32 at every batch size (the cheapest overall when none is) that meets the accuracy budget,
/// evaluating accuracy in that order until one does. Then it falls back layer by
/// layer where it must: for accuracy (no candidate within the budget) with the sensitivity search, for speed (the
/// chosen form slower than fp32 at a batch size) with the per-layer <see cref="SpeedSearch"/>. Candidates whose
/// rewrites produce the same graph share one calibration, and identical int8 files are timed once.
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

    /// <param name="evaluate">Optional metric (higher is better, e.g. top-1 as a fraction) of a model file; with it, candidates more than <see cref="AutoOptions.MaxDrop"/> below fp32 are skipped.</param>
    public static AutoQuantizeResult Run(string inputPath, string outputPath, QuantizeOptions template, ICalibrationSource? calibration,
        ISpeedProbe probe, Func<string, double>? evaluate = null, AutoOptions? auto = null, Action<string>? log = null)
    {
        auto ??= new AutoOptions();
        auto.Validate();
        ModelFile.CheckDistinct(inputPath, outputPath);
        var model = ModelFile.Load(inputPath);
        ModelInputs.SingleFloatInput(model);
        var candidates = Candidates(template);
        if (candidates.Any(c => c.Options.NeedsCalibration) && calibration is null)
            throw new EdgeException("auto quantization needs a calibration set (it tries static int8 too)");
        // Ranges are collected on each candidate's rewritten graph; candidates whose rewrites give the same graph share them.
        var rangesByGraph = new Dictionary<string, TensorRangeSet>(StringComparer.Ordinal);
        TensorRangeSet? RangesFor(QuantizeOptions options)
        {
            if (!options.NeedsCalibration) return null;
            var rewritten = OnnxQuantizer.Rewrite(model, options).Model;
            string key = Convert.ToHexString(SHA256.HashData(Google.Protobuf.MessageExtensions.ToByteArray(rewritten)));
            if (!rangesByGraph.TryGetValue(key, out var r)) rangesByGraph[key] = r = RangeCollector.Collect(rewritten, calibration!, options.Calibration);
            return r;
        }

        string dir = Path.Combine(Path.GetTempPath(), "edge-auto-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var built = new List<Built>();
            var byHash = new Dictionary<string, Built>(StringComparer.Ordinal);
            foreach (var (name, options) in candidates)
            {
                string path = Path.Combine(dir, name + ".onnx");
                var report = OnnxQuantizer.Quantize(inputPath, path, options, RangesFor(options));
                string hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
                if (byHash.TryGetValue(hash, out var twin))
                {
                    built.Add(twin with { Name = name, Options = options, SameAs = twin.Name });
                    log?.Invoke($"candidate {name}: the same model as {twin.Name}");
                    continue;
                }
                var b = new Built(name, options, report, path, null);
                built.Add(b);
                byHash[hash] = b;
            }
            // A form that quantizes nothing is fp32 under another name: never a choice.
            var distinct = built.Where(b => b.SameAs is null && b.Report.Quantized.Count > 0).ToList();
            if (distinct.Count == 0)
                throw new EdgeException("auto quantization: no form quantizes any node of this model (no Conv, MatMul or Gemm with constant weights?)");

            // Rounds interleave fp32 and every distinct candidate, so load from other processes hits all alike.
            var speedups = Time(probe, inputPath, distinct.Select(t => t.Path).ToList(), auto.Rounds);
            foreach (var b in distinct) SpeedComparison.Forget(probe, b.Path);
            double[] SpeedupsOf(Built b) => speedups[distinct.FindIndex(t => t.Path == (b.TimedPath ?? b.Path))];
            double Cost(Built b) => SpeedComparison.CostRatio(SpeedupsOf(b));
            foreach (var b in distinct)
                log?.Invoke($"candidate {b.Name}: {string.Join(", ", probe.BatchSizes.Select((n, i) => $"batch {n} x{SpeedupsOf(b)[i]:0.00}"))} vs fp32");

            // Accuracy in speed order (forms clearly faster than fp32 everywhere first), until one fits the budget: most models
            // need one evaluation. A calibrated form that misses it is first recalibrated (entropy, then percentile ranges:
            // the same kernels, so the same speed) before a slower form is tried.
            var order = distinct.OrderBy(b => SpeedupsOf(b).All(x => x >= auto.MinSpeedup + auto.Margin) ? 0 : 1).ThenBy(Cost).ToList();
            double? fp32Metric = evaluate?.Invoke(inputPath);
            var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
            Built? chosen = null;
            SensitivityResult? sensitivity = null;
            foreach (var b in order)
            {
                if (evaluate is null) { chosen = b; break; }
                (Built Variant, double Metric)? bestVariant = null;
                foreach (var variant in Recalibrations(b, dir, inputPath, RangesFor))
                {
                    double m = evaluate(variant.Path);
                    if (variant.Path == b.Path) metrics[b.Path] = m;
                    if (bestVariant is null || m > bestVariant.Value.Metric) bestVariant = (variant, m);
                    bool ok = fp32Metric - m <= auto.MaxDrop;
                    log?.Invoke($"candidate {variant.Name}: metric {m:0.####} (fp32 {fp32Metric:0.####}){(ok ? "" : " — over the accuracy budget")}");
                    if (ok) { chosen = variant; break; }
                }
                if (chosen is not null) break;
                if (b != order[0]) continue;
                // The fastest form, its noisiest layers kept float, usually keeps more speed than a slower form would.
                var v = bestVariant!.Value.Variant;
                string path = Path.Combine(dir, "sensitivity.onnx");
                try
                {
                    log?.Invoke($"{v.Name} misses the accuracy budget: keeping its noisiest layers float");
                    sensitivity = SensitivitySearch.Run(inputPath, path, v.Options, calibration, evaluate, new SensitivityOptions { MaxDrop = auto.MaxDrop });
                    chosen = v with { Name = v.Name + " + sensitivity", Path = path, Report = sensitivity.Report,
                        Options = v.Options with { KeepInFloat = [.. v.Options.KeepInFloat, .. sensitivity.KeptInFloat] }, TimedPath = v.TimedPath ?? v.Path };
                    break;
                }
                catch (SensitivityBudgetException e)
                {
                    log?.Invoke($"{v.Name}: {e.Message}");
                }
            }
            var results = built.Where(b => b.Report.Quantized.Count > 0 || b.SameAs is not null).Select(b =>
            {
                var origin = b.SameAs is null ? b : built.First(x => x.Name == b.SameAs);
                if (origin.Report.Quantized.Count == 0) return null;
                double? metric = metrics.TryGetValue(origin.Path, out var mm) ? mm : null;
                bool within = metric is { } v ? fp32Metric - v <= auto.MaxDrop : evaluate is null;
                return new AutoCandidate(b.Name, SpeedupsOf(origin), Cost(origin), metric, within, b.SameAs);
            }).OfType<AutoCandidate>().ToList();
            if (chosen is null)
                throw new EdgeException($"auto quantization: no form meets the accuracy budget, not even the fastest with its noisiest layers float (fp32 {fp32Metric:0.####}; {string.Join(", ", results.Where(r => r.Metric is not null).Select(r => $"{r.Name} {r.Metric:0.####}"))}); raise --accuracy-budget or calibrate on more data");
            if (sensitivity is not null)
            {
                File.Copy(chosen.Path, outputPath, overwrite: true);
                return new AutoQuantizeResult(chosen.Name, chosen.Options, chosen.Report, results, fp32Metric, [], sensitivity.KeptInFloat, null);
            }
            var chosenSpeedups = SpeedupsOf(chosen);
            bool slower = chosenSpeedups.Any(s => s < auto.MinSpeedup);
            if (auto.LayerSearch == LayerSearch.Always || (slower && auto.LayerSearch == LayerSearch.IfSlower))
            {
                log?.Invoke(slower
                    ? $"{chosen.Name} is slower than fp32 at batch {string.Join(", ", probe.BatchSizes.Where((_, i) => chosenSpeedups[i] < auto.MinSpeedup))}: per-layer fallback"
                    : $"{chosen.Name}: per-layer speed search");
                var search = SpeedSearch.Run(inputPath, outputPath, chosen.Options, RangesFor(chosen.Options), probe, auto.Search, log);
                return new AutoQuantizeResult(chosen.Name, chosen.Options with { KeepInFloat = [.. chosen.Options.KeepInFloat, .. search.KeptInFloat] },
                    search.Report, results, fp32Metric, search.KeptInFloat, [], search);
            }
            File.Copy(chosen.Path, outputPath, overwrite: true);
            return new AutoQuantizeResult(chosen.Name, chosen.Options, chosen.Report, results, fp32Metric, [], [], null);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <param name="TimedPath">The file whose timing stands for this one (a recalibrated form has its base form's kernels).</param>
    private sealed record Built(string Name, QuantizeOptions Options, QuantizeReport Report, string Path, string? SameAs, string? TimedPath = null);

    /// <summary>The built form, then (for a calibrated form) the same form with entropy and percentile ranges, built on demand.</summary>
    private static IEnumerable<Built> Recalibrations(Built b, string dir, string inputPath, Func<QuantizeOptions, TensorRangeSet?> ranges)
    {
        yield return b;
        if (!b.Options.NeedsCalibration) yield break;
        foreach (var method in new[] { CalibrationMethod.Entropy, CalibrationMethod.Percentile }.Where(m => m != b.Options.Calibration.Method))
        {
            var options = b.Options with { Calibration = b.Options.Calibration with { Method = method } };
            string path = Path.Combine(dir, $"{b.Name}.{method}.onnx".ToLowerInvariant());
            var report = OnnxQuantizer.Quantize(inputPath, path, options, ranges(options));
            yield return new Built($"{b.Name} ({method.ToString().ToLowerInvariant()} ranges)", options, report, path, null, b.Path);
        }
    }

    /// <summary>Speed-up over fp32 of each model at each batch size: the median of per-round ratios, fp32 timed in every round.</summary>
    private static List<double[]> Time(ISpeedProbe probe, string fp32, IReadOnlyList<string> models, int rounds)
    {
        var perRound = models.Select(_ => new List<double[]>()).ToList();
        for (int r = 0; r < rounds; r++)
        {
            var f = probe.Measure(fp32);
            for (int i = 0; i < models.Count; i++)
            {
                var m = probe.Measure(models[i]);
                perRound[i].Add(f.Zip(m, (a, b) => a / b).ToArray());
            }
        }
        return perRound.Select(p => Enumerable.Range(0, probe.BatchSizes.Count).Select(k => SpeedComparison.Median(p.Select(x => x[k]))).ToArray()).ToList();
    }
}
