namespace Edge.Core.Gate.Rules;

/// <summary>
/// The decision shared by the drop rules: fail when the one-sided lower confidence bound of the drop is above the
/// tolerance (the candidate is significantly worse than tolerated) or when the measured drop is above the hard limit.
/// </summary>
internal static class DropDecision
{
    public static RuleOutcome Decide(string rule, string model, PairedComparison comparison, double tolerance, double hardLimit, double confidence, string what)
    {
        double drop = comparison.Drop.Estimate, bound = comparison.DropLowerBound;
        bool significant = bound > tolerance, hard = drop > hardLimit;
        string verdict = hard ? $"FAIL: above the hard limit {hardLimit:0.##}"
            : significant ? $"FAIL: significantly above the tolerance ({confidence:P0} lower bound {bound:0.00} > {tolerance:0.##})"
            : drop > tolerance ? $"pass: above the tolerance but not significantly ({confidence:P0} lower bound {bound:0.00} ≤ {tolerance:0.##})"
            : "pass";
        string test = comparison.McNemar is { } m ? $", McNemar p = {m.PCandidateWorse:0.####} ({m.OnlyReference} vs {m.OnlyCandidate} discordant)" : comparison.Paired ? "" : ", unpaired";
        string detail = $"{what}: {drop:0.00} pts [{comparison.Drop.Lower:0.00}, {comparison.Drop.Upper:0.00}] on {comparison.Samples} images{test}; tolerance {tolerance:0.##}, hard limit {hardLimit:0.##} — {verdict}";
        return new RuleOutcome(rule, model, significant || hard ? RuleStatus.Fail : RuleStatus.Pass, drop, tolerance, hardLimit, bound,
            comparison.McNemar?.PCandidateWorse, detail);
    }

    public static RuleOutcome Skip(string rule, string model, string why) =>
        new(rule, model, RuleStatus.Skip, double.NaN, double.NaN, double.NaN, null, null, $"skipped: {why}");
}
