using Edge.Core.Evaluation;
using Edge.Core.Manifest;
using Edge.Core.Metrics;
using Edge.Core.Preprocessing;

namespace Edge.Core.Gate;

/// <summary>
/// The result of one gate run, serialized as gate.json: the verdict, each rule's outcome, every model's metrics,
/// and what identifies the run (teacher and dataset hashes, per-sample outcomes), so that the file can serve as
/// the next run's baseline.
/// </summary>
public sealed record GateReport
{
    public const string CurrentFormat = "edge-gate/1";

    public string Format { get; init; } = CurrentFormat;
    public required bool Passed { get; init; }
    public required string CreatedUtc { get; init; }
    public string? Producer { get; init; }
    public required GateThresholds Thresholds { get; init; }
    public required int BootstrapResamples { get; init; }
    public required int Seed { get; init; }
    public required EvalSetInfo EvalSet { get; init; }
    public required ModelReport Teacher { get; init; }
    public required IReadOnlyList<ModelReport> Candidates { get; init; }
    public BaselineInfo? Baseline { get; init; }
    public required IReadOnlyList<RuleOutcome> Rules { get; init; }
    public double? ElapsedSeconds { get; init; }

    /// <summary>The failed rules (every candidate).</summary>
    public IEnumerable<RuleOutcome> Failures() => Rules.Where(r => r.Status == RuleStatus.Fail);

    /// <summary>This candidate's outcomes in the form a model manifest records.</summary>
    public IReadOnlyList<GateResult> ManifestResults(string candidate) =>
        Rules.Where(r => r.Model == candidate && r.Status != RuleStatus.Skip)
            .Select(r => new GateResult(r.Rule, r.Status == RuleStatus.Pass, r.Value, r.Threshold, r.Detail)).ToArray();
}

public sealed record EvalSetInfo(
    string Description,
    string DatasetSha256,
    int BaseCount,
    int Count,
    string SamplesSha256,
    bool Labeled,
    IReadOnlyList<string> Classes,
    int[]? ClassSupport);

public sealed record ModelReport
{
    public required string Name { get; init; }
    public required string Kind { get; init; }
    public required string Location { get; init; }
    public string? Sha256 { get; init; }
    public required string Precision { get; init; }
    public required PreprocessSpec Preprocess { get; init; }
    /// <summary>Top-1 accuracy (percent) with its bootstrap interval; null on an unlabeled set.</summary>
    public ConfidenceInterval? Top1 { get; init; }
    public ConfidenceInterval? Top5 { get; init; }
    /// <summary>Top-1 agreement with the teacher (percent).</summary>
    public required ConfidenceInterval Agreement { get; init; }
    /// <summary>One-sided upper bound of the agreement at the gate's confidence.</summary>
    public required double AgreementUpperBound { get; init; }
    /// <summary>Mean KL(teacher ‖ model) in nats.</summary>
    public required double MeanKl { get; init; }
    /// <summary>Expected calibration error (percent), against labels or, unlabeled, the teacher's top-1.</summary>
    public required double Ece { get; init; }
    public required IReadOnlyList<ReliabilityBin> Reliability { get; init; }
    /// <summary>Per-class accuracy (percent) in <see cref="EvalSetInfo.Classes"/> order; null when unlabeled.</summary>
    public double[]? PerClassAccuracy { get; init; }
    /// <summary>Rows = true class, columns = predicted class; null when unlabeled.</summary>
    public int[][]? Confusion { get; init; }
    public required LatencyStats Latency { get; init; }
    public required double ImagesPerSecond { get; init; }
    public PairedComparison? VsTeacher { get; init; }
    public PairedComparison? VsBaseline { get; init; }
    /// <summary>Per-sample outcomes over the base dataset (bitmasks), so a later run can pair with this one.</summary>
    public required SampleOutcomes Samples { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>
/// Reference minus candidate, in points, on the same samples where possible: a positive <see cref="Drop"/> means the
/// candidate is worse. <see cref="DropLowerBound"/> is the one-sided bound at the gate's confidence.
/// </summary>
public sealed record PairedComparison(
    string Reference,
    string Metric,
    bool Paired,
    int Samples,
    ConfidenceInterval Drop,
    double DropLowerBound,
    McNemar? McNemar);

/// <summary>Base64 bitmasks over the base dataset's indices: which were evaluated, which were right, which agreed with the teacher.</summary>
public sealed record SampleOutcomes(int BaseCount, string Evaluated, string? Correct, string Agrees);

public sealed record BaselineInfo(string Path, string Sha256, string Model, string? ModelSha256, double? Top1, double Agreement, string CreatedUtc);

public enum RuleStatus { Pass, Fail, Skip }

/// <summary>One rule applied to one candidate.</summary>
public sealed record RuleOutcome(
    string Rule,
    string Model,
    RuleStatus Status,
    double Value,
    double Threshold,
    double HardLimit,
    double? Bound,
    double? PValue,
    string Detail);
