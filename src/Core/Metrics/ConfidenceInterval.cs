namespace Edge.Core.Metrics;

/// <summary>A point estimate with a two-sided bootstrap interval at <see cref="Confidence"/> (e.g. 0.95 → 2.5%..97.5%).</summary>
public sealed record ConfidenceInterval(double Estimate, double Lower, double Upper, double Confidence)
{
    public static ConfidenceInterval Exact(double value, double confidence) => new(value, value, value, confidence);

    public ConfidenceInterval Scale(double factor) =>
        factor >= 0 ? new(Estimate * factor, Lower * factor, Upper * factor, Confidence)
                    : new(Estimate * factor, Upper * factor, Lower * factor, Confidence);

    public override string ToString() => $"{Estimate:0.00} [{Lower:0.00}, {Upper:0.00}]";
}
