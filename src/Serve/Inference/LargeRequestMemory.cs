using System.Runtime;

namespace Edge.Serve.Inference;

/// <summary>
/// Gives the memory of a rare large request back once it is answered. Its message, contents and tensors are large
/// objects that only a full collection frees, an idle server runs none, and the framework's shared array pool (which
/// gRPC's message buffers come from) drops an array only at a full collection at least a minute after its last use.
/// So a request of at least <see cref="ThresholdBytes"/> schedules a compacting full collection shortly after it is
/// answered and another once the pool's minute has passed; ordinary requests never pay for it. Measured effect in
/// docs/BENCHMARKS.md ("Serving: memory after a 15 MB request").
/// </summary>
public static class LargeRequestMemory
{
    public const long ThresholdBytes = 4 << 20;

    /// <summary>After the answer is written; then after the shared array pool's 60 s trim age.</summary>
    private static readonly TimeSpan[] Delays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(62)];

    private static readonly Lock Gate = new();
    private static readonly List<Timer> Timers = [];
    private static long _latestDue;

    public static void Answered(long requestBytes)
    {
        if (requestBytes < ThresholdBytes)
            return;
        lock (Gate)
        {
            // One pending pair is enough: a later large request only pushes the second collection later.
            long now = Environment.TickCount64;
            if (now + (long)Delays[^1].TotalMilliseconds - _latestDue < 1000)
                return;
            _latestDue = now + (long)Delays[^1].TotalMilliseconds;
            foreach (var delay in Delays)
            {
                Timer? timer = null;
                timer = new Timer(_ =>
                {
                    Collect();
                    lock (Gate)
                        Timers.Remove(timer!);
                    timer!.Dispose();
                }, null, delay, Timeout.InfiniteTimeSpan);
                Timers.Add(timer);
            }
        }
    }

    private static void Collect()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    }
}
