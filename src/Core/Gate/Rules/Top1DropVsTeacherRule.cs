namespace Edge.Core.Gate.Rules;

/// <summary>The candidate's top-1 accuracy may not fall more than the tolerance below the teacher's (paired on the same images).</summary>
public sealed class Top1DropVsTeacherRule : IGateRule
{
    public string Name => "top1-drop-vs-teacher";

    public string Semantics(GateThresholds t) =>
        $"fails when the {t.Confidence:P0} one-sided lower bound of (teacher top-1 − candidate top-1) exceeds {t.MaxTop1Drop:0.##} pts, or the measured drop exceeds {t.Top1DropHardLimit:0.##} pts";

    public RuleOutcome Evaluate(GateContext context, ModelReport candidate)
    {
        if (candidate.VsTeacher is not { } comparison)
            return DropDecision.Skip(Name, candidate.Name, "the evaluation set is unlabeled");
        var t = context.Thresholds;
        return DropDecision.Decide(Name, candidate.Name, comparison, t.MaxTop1Drop, t.Top1DropHardLimit, t.Confidence, "top-1 drop vs the teacher");
    }
}
