namespace Edge.Core.Gate.Rules;

/// <summary>The candidate's median batch-1 latency (as measured by this run, on this machine) must stay under a limit.</summary>
public sealed class MaxLatencyRule : IGateRule
{
    public string Name => "max-latency-ms";

    public string Semantics(GateThresholds t) => t.MaxLatencyMs is { } max
        ? $"fails when the median batch-1 latency measured by this run exceeds {max:0.###} ms (a hard limit: no significance test)"
        : "off (no --max-latency-ms)";

    public RuleOutcome Evaluate(GateContext context, ModelReport candidate)
    {
        if (context.Thresholds.MaxLatencyMs is not { } max)
            return DropDecision.Skip(Name, candidate.Name, "no latency limit set");
        var latency = candidate.Latency;
        if (latency.Samples == 0)
            return DropDecision.Skip(Name, candidate.Name, "latency was not measured");
        bool fail = latency.P50Ms > max;
        string detail = $"batch-1 latency p50 {latency.P50Ms:0.###} ms, p95 {latency.P95Ms:0.###} ms over {latency.Samples} calls; limit {max:0.###} ms — {(fail ? "FAIL" : "pass")}";
        return new RuleOutcome(Name, candidate.Name, fail ? RuleStatus.Fail : RuleStatus.Pass, latency.P50Ms, max, max, null, null, detail);
    }
}
