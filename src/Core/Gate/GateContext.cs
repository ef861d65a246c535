namespace Edge.Core.Gate;

/// <summary>What every rule may look at besides the candidate.</summary>
public sealed record GateContext(GateThresholds Thresholds, EvalSetInfo EvalSet, ModelReport Teacher, BaselineInfo? Baseline);
