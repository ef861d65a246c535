using System.Globalization;

namespace Edge.Quantize.Guarantee;

/// <summary>What the guarantee measured on an INT8 model against its fp32 source.</summary>
public sealed record GuaranteeResult(
    double Fp32Top1, double Int8Top1, int Samples, IReadOnlyList<int> BatchSizes, IReadOnlyList<double> Speedups,
    double MaxTop1DropPoints, double MinSpeedup)
{
    public double DropPoints => 100 * (Fp32Top1 - Int8Top1);

    public bool AccuracyMet => DropPoints <= MaxTop1DropPoints + 1e-9;

    public IReadOnlyList<int> SlowerAt => [.. BatchSizes.Where((_, i) => Speedups[i] < MinSpeedup)];

    public bool SpeedMet => SlowerAt.Count == 0;

    public string Speed => string.Join(", ", BatchSizes.Select((b, i) => string.Create(CultureInfo.InvariantCulture, $"batch {b} {Speedups[i]:0.00}x")));

    public string Accuracy => string.Create(CultureInfo.InvariantCulture, $"top-1 {100 * Int8Top1:0.00}% vs fp32 {100 * Fp32Top1:0.00}% ({-DropPoints:+0.00;-0.00} points) on {Samples} held-out images");

    public override string ToString() => $"{Accuracy}; speed vs fp32: {Speed}";
}
