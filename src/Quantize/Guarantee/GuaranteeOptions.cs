using Edge.Core;

namespace Edge.Quantize.Guarantee;

/// <summary>
/// What an INT8 package must show before it is written: no slower than fp32 at each of <see cref="BatchSizes"/>, and
/// top-1 on held-out images within <see cref="MaxTop1DropPoints"/> of fp32. The overrides write a package that misses a
/// bar anyway, saying so in the output and the manifest.
/// </summary>
public sealed record GuaranteeOptions
{
    public IReadOnlyList<int> BatchSizes { get; init; } = [1, 64];

    /// <summary>Largest top-1 drop from fp32, in points, on the held-out images.</summary>
    public double MaxTop1DropPoints { get; init; } = 0.3;

    /// <summary>Smallest speed-up over fp32 (fp32 time / int8 time) accepted at every batch size: 1 means "never slower".</summary>
    public double MinSpeedup { get; init; } = 1.0;

    /// <summary>Interleaved fp32/int8 timing rounds; the median speed-up decides.</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>ONNX Runtime intra-op threads for the timing (the serving setting to guarantee).</summary>
    public int Threads { get; init; } = 2;

    public bool AllowSlower { get; init; }

    public bool AllowAccuracyDrop { get; init; }

    public void Validate()
    {
        if (BatchSizes.Count == 0 || BatchSizes.Any(b => b < 1) || BatchSizes.Distinct().Count() != BatchSizes.Count)
            throw new EdgeException($"--batch-sizes must be distinct positive integers, e.g. 1,64; got {string.Join(",", BatchSizes)}");
        if (!(MaxTop1DropPoints >= 0) || double.IsInfinity(MaxTop1DropPoints))
            throw new EdgeException($"--accuracy-budget must be a finite number of points ≥ 0, e.g. 0.3; got {MaxTop1DropPoints}");
        if (!(MinSpeedup > 0)) throw new EdgeException($"the minimum speed-up must be > 0, got {MinSpeedup}");
        if (Rounds < 1) throw new EdgeException($"the speed check needs at least one round, got {Rounds}");
        if (Threads < 1) throw new EdgeException($"--threads must be at least 1, got {Threads}");
    }
}
