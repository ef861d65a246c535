namespace Edge.Bench.Serve;

/// <summary>What one load run measured. Latencies in milliseconds.</summary>
public sealed record LoadResult(string Name, int Clients, long Requests, long Samples, long Errors, double Seconds, double P50, double P90, double P99)
{
    public double RequestsPerSecond => Requests / Seconds;
    public double SamplesPerSecond => Samples / Seconds;

    public override string ToString() =>
        $"{Name,-34} clients {Clients,3}  requests {Requests,7}  errors {Errors,5}  {SamplesPerSecond,8:F1} img/s  p50 {P50,7:F2} ms  p90 {P90,7:F2} ms  p99 {P99,7:F2} ms";
}
