using System.Diagnostics;

namespace Edge.Bench.Serve;

/// <summary>
/// Runs <c>clients</c> concurrent loops of one async call until <c>requests</c> calls were made or <c>maxSeconds</c>
/// passed (whichever first), recording each call's latency.
/// </summary>
public static class LoadRunner
{
    /// <summary><paramref name="call"/> gets the global request index and returns the samples it carried.</summary>
    public static async Task<LoadResult> RunAsync(string name, int clients, long requests, double maxSeconds, Func<long, Task<int>> call, List<double>? latencySink = null)
    {
        long next = -1, errors = 0, samples = 0;
        var latencies = new double[clients][];
        var counts = new int[clients];
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var stop = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(maxSeconds);
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = new List<double>();
            long i;
            while ((i = Interlocked.Increment(ref next)) < requests && stop.Elapsed < deadline)
            {
                long t0 = Stopwatch.GetTimestamp();
                try
                {
                    int n = await call(i).ConfigureAwait(false);
                    Interlocked.Add(ref samples, n);
                    mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref errors);
                }
            }
            latencies[c] = [.. mine];
            counts[c] = mine.Count;
        })).ToArray();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        double seconds = stop.Elapsed.TotalSeconds;
        double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        latencySink?.AddRange(all);
        return new LoadResult(name, clients, all.Length + errors, samples, errors, seconds,
            Percentile(all, 0.50), Percentile(all, 0.90), Percentile(all, 0.99), cpuSeconds);
    }

    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
