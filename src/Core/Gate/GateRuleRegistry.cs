using Edge.Core.Gate.Rules;

namespace Edge.Core.Gate;

/// <summary>The gate's rules by name, built explicitly; a lookup of an unknown name lists the known ones.</summary>
public static class GateRuleRegistry
{
    public static IReadOnlyList<IGateRule> All { get; } =
        [new Top1DropVsTeacherRule(), new MinAgreementRule(), new DropVsBaselineRule(), new MaxLatencyRule()];

    public static IGateRule Get(string name) =>
        All.FirstOrDefault(r => r.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new EdgeException($"unknown gate rule '{name}': known rules are {string.Join(", ", All.Select(r => r.Name))}");

    public static IReadOnlyList<IGateRule> Select(IReadOnlyList<string>? names) =>
        names is null || names.Count == 0 ? All : names.Select(Get).Distinct().ToArray();
}
