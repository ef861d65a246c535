using Edge.Core.Data;
using Edge.Quantize.Guarantee;
using Edge.Quantize.Speed;

namespace Edge.Quantize.Packaging;

public enum TargetPrecision { Int8, Fp16 }

public sealed record QuantizePackageOptions
{
    public required string OutputDir { get; init; }
    public TargetPrecision Precision { get; init; } = TargetPrecision.Int8;
    public QuantizeOptions Quantize { get; init; } = new();
    /// <summary>Calibration and held-out images come from this dataset's train split, prepared with the model's own preprocessing.</summary>
    public DatasetSource Data { get; init; } = BuiltInDatasets.FashionMnist.Name;
    /// <summary>Training images drawn (seeded) for calibration.</summary>
    public int CalibrationSamples { get; init; } = 512;
    public int Seed { get; init; }
    /// <summary>
    /// With a fixed mode: keep the most sensitive layers in float until top-1 (on held-out train images) is within this
    /// many points of fp32 (a sensitivity search). In every mode it is also the guarantee's accuracy budget.
    /// </summary>
    public double? AccuracyBudgetPoints { get; init; }
    /// <summary>Held-out train images (disjoint from the calibration images) for the accuracy budget and the searches.</summary>
    public int HoldoutSamples { get; init; } = 5000;
    /// <summary>Auto mode: the speed search keeps a layer float only while the file stays at most this fraction of fp32.</summary>
    public double? MaxSizeRatio { get; init; }
    /// <summary>Auto mode: when to run the per-layer speed search after choosing a form.</summary>
    public LayerSearch LayerSearch { get; init; } = LayerSearch.IfSlower;
    /// <summary>The bars an INT8 package must meet before it is written (batch sizes, overrides); its budget is <see cref="AccuracyBudgetPoints"/> when set.</summary>
    public GuaranteeOptions Guarantee { get; init; } = new();
    public string? Name { get; init; }

    public GuaranteeOptions EffectiveGuarantee => AccuracyBudgetPoints is { } b ? Guarantee with { MaxTop1DropPoints = b } : Guarantee;
}
