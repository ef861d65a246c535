namespace Edge.Core.Gate.Rules;

/// <summary>The candidate's top-1 must agree with the teacher's on at least the tolerated share of images.</summary>
public sealed class MinAgreementRule : IGateRule
{
    public string Name => "min-agreement";

    public string Semantics(GateThresholds t) =>
        $"fails when the {t.Confidence:P0} one-sided upper bound of the top-1 agreement with the teacher is below {t.MinAgreement:0.##}%, or the measured agreement is below {t.AgreementHardFloor:0.##}%";

    public RuleOutcome Evaluate(GateContext context, ModelReport candidate)
    {
        var t = context.Thresholds;
        double value = candidate.Agreement.Estimate, bound = candidate.AgreementUpperBound;
        bool significant = bound < t.MinAgreement, hard = value < t.AgreementHardFloor;
        string verdict = hard ? $"FAIL: below the hard floor {t.AgreementHardFloor:0.##}%"
            : significant ? $"FAIL: significantly below the minimum ({t.Confidence:P0} upper bound {bound:0.00}% < {t.MinAgreement:0.##}%)"
            : value < t.MinAgreement ? $"pass: below the minimum but not significantly ({t.Confidence:P0} upper bound {bound:0.00}%)"
            : "pass";
        string detail = $"top-1 agreement with the teacher: {value:0.00}% [{candidate.Agreement.Lower:0.00}, {candidate.Agreement.Upper:0.00}]; minimum {t.MinAgreement:0.##}%, hard floor {t.AgreementHardFloor:0.##}% — {verdict}";
        return new RuleOutcome(Name, candidate.Name, significant || hard ? RuleStatus.Fail : RuleStatus.Pass, value, t.MinAgreement, t.AgreementHardFloor, bound, null, detail);
    }
}
