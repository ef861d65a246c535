namespace Edge.Core.Evaluation;

/// <summary>Batch-1 request latency in milliseconds over <see cref="Samples"/> timed calls (after warm-up).</summary>
public sealed record LatencyStats(int Samples, double MeanMs, double P50Ms, double P95Ms, double MaxMs)
{
    public static LatencyStats From(IReadOnlyList<double> millis)
    {
        if (millis.Count == 0) return new LatencyStats(0, double.NaN, double.NaN, double.NaN, double.NaN);
        var sorted = millis.OrderBy(x => x).ToArray();
        return new LatencyStats(sorted.Length, sorted.Average(), Metrics.Bootstrap.Quantile(sorted, 0.5),
            Metrics.Bootstrap.Quantile(sorted, 0.95), sorted[^1]);
    }
}
