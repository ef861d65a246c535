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

    /// <summary>Op types of the quantized nodes whose float form is tried (the ones with weights, where int8 can lose).</summary>
    public IReadOnlyList<string> CandidateOpTypes { get; init; } = ["Conv", "MatMul", "Gemm"];

    /// <summary>
    /// At most this many layers are tried, the smallest weights first: int8 loses where a layer's arithmetic is too
    /// small to pay for its quantize/dequantize, and each trial costs a quantization, a session and 2 × Repeats timings.
    /// </summary>
    public int MaxTrials { get; init; } = 16;

    /// <summary>
    /// Largest output/input file size ratio a float layer may bring the model to (null: no limit). Putting a layer
    /// back in float makes the file bigger; with a limit, speed is bought only while the size budget holds.
    /// </summary>
    public double? MaxSizeRatio { get; init; }

    public void Validate()
    {
        if (MaxSizeRatio is { } r && !(r > 0)) throw new EdgeException($"speed search max size ratio must be > 0, got {r}");
        if (Repeats < 1) throw new EdgeException($"speed search repeats must be ≥ 1, got {Repeats}");
        if (MaxTrials < 0) throw new EdgeException($"speed search max trials must be ≥ 0, got {MaxTrials}");
        if (!(MinGain >= 0 && MinGain < 1)) throw new EdgeException($"speed search min gain must be in [0, 1), got {MinGain}");
    }
}

/// <summary>A layer the search tried in float: its cost relative to the model it was compared with (below 1 = float is faster).</summary>
public sealed record LayerSpeed(string Node, string OpType, double CostRatio, bool KeptInFloat);

public sealed record SpeedSearchResult(QuantizeReport Report, IReadOnlyList<string> KeptInFloat, IReadOnlyList<LayerSpeed> Layers, int Measurements);

/// <summary>
/// Per-layer speed search, the layer-by-layer fallback of auto mode: quantizes the model, then tries quantized
/// weighted layers back in float (the smallest first, at most <see cref="SpeedSearchOptions.MaxTrials"/>) and keeps
/// one float when the whole model gets cheaper by more than <see cref="SpeedSearchOptions.MinGain"/> at the probe's
/// batch sizes (int8 does not pay for a small layer when its QuantizeLinear/DequantizeLinear cost more than the
/// integer kernel saves). Decisions are greedy, each against the best model so far, timed interleaved A/B/A/B so
/// machine load hits both alike. Whole-model timing (not per-node profiles) is what counts: removing a layer's Q/DQ
/// changes its neighbours too.
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
            var weights = WeightSizes(inputPath, options);
            var candidates = baseReport.Quantized.Where(q => search.CandidateOpTypes.Contains(q.OpType))
                .OrderBy(q => weights.GetValueOrDefault(q.Name, long.MaxValue)).Take(search.MaxTrials).ToArray();
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
                double ratio = SpeedComparison.CostRatio(SpeedComparison.Speedups(probe, best, trial, search.Repeats));
                measurements += 2 * search.Repeats;
                bool keep = ratio < 1 - search.MinGain;
                layers.Add(new LayerSpeed(c.Name, c.OpType, ratio, keep));
                log?.Invoke($"{c.Name} ({c.OpType}) in float: cost x{ratio:0.000}{(keep ? " → kept in float" : "")}");
                if (keep)
                {
                    kept.Add(c.Name);
                    SpeedComparison.Forget(probe, best);
                    best = trial;
                }
                else SpeedComparison.Forget(probe, trial);
            }
            SpeedComparison.Forget(probe, best);
            var finalReport = OnnxQuantizer.Quantize(inputPath, outputPath, options with { KeepInFloat = [.. options.KeepInFloat, .. kept] }, ranges);
            return new SpeedSearchResult(finalReport, kept, layers, measurements);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Element count of each node's constant weight (its second input) in the graph the op quantizers see.</summary>
    private static Dictionary<string, long> WeightSizes(string inputPath, QuantizeOptions options)
    {
        var graph = OnnxQuantizer.Rewrite(ModelFile.Load(inputPath), options).Model.Graph;
        var index = new GraphIndex(graph);
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var n in graph.Node)
            if (n.Input.Count > 1 && index.Initializers.TryGetValue(n.Input[1], out var w)) sizes[n.Name] = Tensors.ElementCount(w);
        return sizes;
    }
}
