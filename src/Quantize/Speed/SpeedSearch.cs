using Edge.Core;
using Edge.Quantize.Calibration;

namespace Edge.Quantize.Speed;

public sealed record SpeedSearchOptions
{
    /// <summary>Interleaved A/B measurements per decision; the median ratio decides (the machine may be shared).</summary>
    public int Repeats { get; init; } = 3;

    /// <summary>
    /// A layer goes back to float only if that makes the model at least this much cheaper (0.05 = 5%): smaller
    /// differences are within the noise of a shared 2-core machine, and int8 (smaller file) wins ties.
    /// </summary>
    public double MinGain { get; init; } = 0.05;

    /// <summary>Weight of batch-1 latency in the cost; the rest is the batch-N time (throughput).</summary>
    public double Batch1Weight { get; init; } = 0.5;

    /// <summary>Op types of the quantized nodes whose float form is tried (the ones with weights, where int8 can lose).</summary>
    public IReadOnlyList<string> CandidateOpTypes { get; init; } = ["Conv", "MatMul", "Gemm"];

    /// <summary>
    /// Largest output/input file size ratio a float layer may bring the model to (null: no limit). Putting a layer
    /// back in float makes the file bigger; with a limit, speed is bought only while the size budget holds.
    /// </summary>
    public double? MaxSizeRatio { get; init; }

    public void Validate()
    {
        if (MaxSizeRatio is { } r && !(r > 0)) throw new EdgeException($"speed search max size ratio must be > 0, got {r}");
        if (Repeats < 1) throw new EdgeException($"speed search repeats must be ≥ 1, got {Repeats}");
        if (!(MinGain >= 0 && MinGain < 1)) throw new EdgeException($"speed search min gain must be in [0, 1), got {MinGain}");
        if (!(Batch1Weight >= 0 && Batch1Weight <= 1)) throw new EdgeException($"speed search batch-1 weight must be in [0, 1], got {Batch1Weight}");
    }
}

/// <summary>A layer the search tried in float: its cost relative to the model it was compared with (below 1 = float is faster).</summary>
public sealed record LayerSpeed(string Node, string OpType, double CostRatio, bool KeptInFloat);

public sealed record SpeedSearchResult(QuantizeReport Report, IReadOnlyList<string> KeptInFloat, IReadOnlyList<LayerSpeed> Layers, int Measurements);

/// <summary>
/// Per-layer speed search: quantizes the model, then tries each quantized weighted layer back in float and keeps it
/// float when the whole model gets faster by more than <see cref="SpeedSearchOptions.MinGain"/> (int8 does not pay
/// for a small layer when its QuantizeLinear/DequantizeLinear cost more than the integer kernel saves). Decisions
/// are greedy, in graph order, each against the best model so far, timed interleaved A/B/A/B so machine load hits
/// both alike. Whole-model timing (not per-node profiles) is what counts: removing a layer's Q/DQ changes its
/// neighbours too.
/// </summary>
public static class SpeedSearch
{
    public static SpeedSearchResult Run(string inputPath, string outputPath, QuantizeOptions options, TensorRangeSet? ranges,
        ISpeedProbe probe, SpeedSearchOptions? search = null, Action<string>? log = null)
    {
        search ??= new SpeedSearchOptions();
        search.Validate();
        options.Validate();
        ModelFile.CheckDistinct(inputPath, outputPath);
        string dir = Path.Combine(Path.GetTempPath(), "edge-speed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        int trialNo = 0, measurements = 0;
        try
        {
            string Build(IReadOnlyList<string> keep, out QuantizeReport report)
            {
                string path = Path.Combine(dir, $"trial{trialNo++}.onnx");
                report = OnnxQuantizer.Quantize(inputPath, path, options with { KeepInFloat = [.. options.KeepInFloat, .. keep] }, ranges);
                return path;
            }
            var kept = new List<string>();
            string best = Build(kept, out var baseReport);
            var candidates = baseReport.Quantized.Where(q => search.CandidateOpTypes.Contains(q.OpType)).ToArray();
            var layers = new List<LayerSpeed>();
            long inputBytes = new FileInfo(inputPath).Length;
            foreach (var c in candidates)
            {
                string trial = Build([.. kept, c.Name], out _);
                double sizeRatio = (double)new FileInfo(trial).Length / inputBytes;
                if (search.MaxSizeRatio is { } maxSize && sizeRatio > maxSize)
                {
                    // Not timed: whatever it gains, this float layer would break the size budget.
                    layers.Add(new LayerSpeed(c.Name, c.OpType, double.NaN, false));
                    log?.Invoke($"{c.Name} ({c.OpType}) in float: size {sizeRatio:P0} of fp32 > {maxSize:P0}, stays int8");
                    File.Delete(trial);
                    continue;
                }
                double ratio = CostRatio(probe, best, trial, search);
                measurements += 2 * search.Repeats;
                bool keep = ratio < 1 - search.MinGain;
                layers.Add(new LayerSpeed(c.Name, c.OpType, ratio, keep));
                log?.Invoke($"{c.Name} ({c.OpType}) in float: cost x{ratio:0.000}{(keep ? " → kept in float" : "")}");
                if (keep)
                {
                    kept.Add(c.Name);
                    Forget(probe, best);
                    best = trial;
                }
                else Forget(probe, trial);
            }
            var finalReport = OnnxQuantizer.Quantize(inputPath, outputPath, options with { KeepInFloat = [.. options.KeepInFloat, .. kept] }, ranges);
            return new SpeedSearchResult(finalReport, kept, layers, measurements);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// Cost of <paramref name="b"/> relative to <paramref name="a"/>: the median over interleaved repeats of the
    /// weighted batch-1 and batch-N time ratios (below 1: b is faster).
    /// </summary>
    public static double CostRatio(ISpeedProbe probe, string a, string b, SpeedSearchOptions search)
    {
        var ratios = new double[search.Repeats];
        for (int r = 0; r < search.Repeats; r++)
        {
            // Alternate which goes first, so a warm-up or a load spike does not always favour the same one.
            SpeedSample sa, sb;
            if (r % 2 == 0) { sa = probe.Measure(a); sb = probe.Measure(b); }
            else { sb = probe.Measure(b); sa = probe.Measure(a); }
            ratios[r] = search.Batch1Weight * (sb.Batch1Ms / sa.Batch1Ms) + (1 - search.Batch1Weight) * (sb.BatchMs / sa.BatchMs);
        }
        Array.Sort(ratios);
        return ratios[ratios.Length / 2];
    }

    private static void Forget(ISpeedProbe probe, string path)
    {
        if (probe is OrtSpeedProbe ort) ort.Forget(path);
    }
}
