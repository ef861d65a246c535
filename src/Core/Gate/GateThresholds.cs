namespace Edge.Core.Gate;

/// <summary>
/// What the gate tolerates. Accuracy figures are percentages (0–100), drops are percentage points. Each rule has a
/// tolerance, tested at <see cref="Confidence"/> (the rule fails only when the one-sided confidence bound of the
/// degradation is beyond it), and a hard limit on the point estimate (fails regardless of sample size). Hard
/// limits left null are derived: twice the tolerated drop, or twice the tolerated disagreement.
/// Bound from a JSON config file (snake_case) and/or command-line flags.
/// </summary>
public sealed record GateThresholds
{
    /// <summary>Largest tolerated top-1 drop of a candidate vs the teacher (points).</summary>
    public double MaxTop1Drop { get; init; } = 3.0;
    public double? MaxTop1DropHard { get; init; }

    /// <summary>Smallest tolerated top-1 agreement with the teacher (percent).</summary>
    public double MinAgreement { get; init; } = 90.0;
    public double? MinAgreementHard { get; init; }

    /// <summary>Largest tolerated top-1 drop vs the baseline report's model (points); used when a baseline is given.</summary>
    public double MaxDropVsBaseline { get; init; } = 0.5;
    public double? MaxDropVsBaselineHard { get; init; }

    /// <summary>Largest tolerated median batch-1 latency (ms); null disables the rule.</summary>
    public double? MaxLatencyMs { get; init; }

    /// <summary>Confidence of the one-sided bounds the tolerances are tested with (0.5–0.9999).</summary>
    public double Confidence { get; init; } = 0.95;

    public double Top1DropHardLimit => MaxTop1DropHard ?? 2 * MaxTop1Drop;
    public double AgreementHardFloor => MinAgreementHard ?? 100 - 2 * (100 - MinAgreement);
    public double DropVsBaselineHardLimit => MaxDropVsBaselineHard ?? 2 * MaxDropVsBaseline;

    public void Validate()
    {
        if (!(Confidence >= 0.5 && Confidence < 1))
            throw new EdgeException($"confidence must be in [0.5, 1), got {Confidence}");
        if (MaxTop1Drop < 0 || MaxDropVsBaseline < 0)
            throw new EdgeException("tolerated drops must be zero or positive (percentage points)");
        if (MinAgreement is < 0 or > 100)
            throw new EdgeException($"min agreement is a percentage (0–100), got {MinAgreement}");
        if (Top1DropHardLimit < MaxTop1Drop || DropVsBaselineHardLimit < MaxDropVsBaseline || AgreementHardFloor > MinAgreement)
            throw new EdgeException("a hard limit must be at least as lenient as its tolerance (hard drop ≥ drop, hard agreement ≤ agreement)");
        if (MaxLatencyMs is <= 0)
            throw new EdgeException($"max latency must be positive, got {MaxLatencyMs} ms");
    }
}
