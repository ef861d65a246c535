namespace Edge.Core.Gate;

/// <summary>One check applied to each candidate; registered by name in <see cref="GateRuleRegistry"/>.</summary>
public interface IGateRule
{
    /// <summary>Kebab-case name used in flags, reports and JUnit test cases.</summary>
    string Name { get; }

    /// <summary>One sentence stating exactly when the rule fails (printed in the report).</summary>
    string Semantics(GateThresholds thresholds);

    RuleOutcome Evaluate(GateContext context, ModelReport candidate);
}
