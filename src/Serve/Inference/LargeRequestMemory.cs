using System.Runtime;

namespace Edge.Serve.Inference;

/// <summary>
/// Gives the memory of a rare large request back once it is answered. Its message, contents and tensors are large
/// objects that only a full collection frees, an idle server runs none, and the framework's shared array pool (which
/// gRPC's message buffers come from) drops an array only at a full collection at least a minute after its last use.
/// Kestrel's own block pool, which carried the request and answer bytes, gives back 5% of its idle blocks every 10 s,
/// and those too are freed only by a collection. So a request of at least <see cref="ThresholdBytes"/> schedules a
/// compacting full collection shortly after it is answered, another once the array pool's minute has passed, and
/// then one a minute for ten minutes, while Kestrel's pool drains; ordinary requests never pay for it (a collection
/// of this server's small heap takes a few milliseconds). Measured effect in docs/BENCHMARKS.md.
/// </summary>
public static class LargeRequestMemory
{
    public const long ThresholdBytes = 4 << 20;

    /// <summary>After the answer is written; after the shared array pool's 60 s trim age; then each minute for 10 minutes.</summary>
    private static readonly TimeSpan[] Delays = [TimeSpan.FromSeconds(1), .. Enumerable.Range(1, 10).Select(m => TimeSpan.FromSeconds(2 + 60 * m))];

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
