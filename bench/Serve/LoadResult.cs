namespace Edge.Bench.Serve;

/// <summary>
/// What one load run measured. Latencies in milliseconds. <see cref="CpuSeconds"/> is the whole process's CPU time
/// (server, clients and ONNX Runtime) over the run: on a shared machine CPU per image is steadier than wall-clock
/// throughput, which depends on how much of the cores the other tenants left.
/// </summary>
public sealed record LoadResult(string Name, int Clients, long Requests, long Samples, long Errors, double Seconds, double P50, double P90, double P99, double CpuSeconds)
{
    public double RequestsPerSecond => Requests / Seconds;
    public double SamplesPerSecond => Samples / Seconds;
    public double CpuMicrosPerSample => Samples == 0 ? double.NaN : CpuSeconds * 1e6 / Samples;

    public override string ToString() =>
        $"{Name,-34} clients {Clients,3}  requests {Requests,7}  errors {Errors,5}  {SamplesPerSecond,8:F1} img/s  p50 {P50,7:F2} ms  p90 {P90,7:F2} ms  p99 {P99,7:F2} ms  cpu {CpuMicrosPerSample,7:F0} us/img";
}
