namespace Edge.Core.Gate.Rules;

/// <summary>The candidate may not be worse than the last released model (the baseline gate.json) by more than the tolerance.</summary>
public sealed class DropVsBaselineRule : IGateRule
{
    public string Name => "drop-vs-baseline";

    public string Semantics(GateThresholds t) =>
        $"fails when the {t.Confidence:P0} one-sided lower bound of (baseline − candidate) top-1 (agreement on unlabeled sets) exceeds {t.MaxDropVsBaseline:0.##} pts, or the measured drop exceeds {t.DropVsBaselineHardLimit:0.##} pts; paired on the same images when the baseline covered them";

    public RuleOutcome Evaluate(GateContext context, ModelReport candidate)
    {
        if (candidate.VsBaseline is not { } comparison)
            return DropDecision.Skip(Name, candidate.Name, "no baseline report given");
        var t = context.Thresholds;
        return DropDecision.Decide(Name, candidate.Name, comparison, t.MaxDropVsBaseline, t.DropVsBaselineHardLimit, t.Confidence,
            $"{(comparison.Metric == "top1" ? "top-1" : "agreement")} drop vs {comparison.Reference}");
    }
}
