using System.Runtime;
using System.Runtime.InteropServices;

namespace Edge.Serve.Inference;

/// <summary>
/// Gives the memory of a rare large request back once it is answered. Its message, contents and tensors are large
/// objects that only a full collection frees, an idle server runs none, and the framework's shared array pool (which
/// gRPC's message buffers come from) drops an array only at a full collection at least a minute after its last use.
/// Kestrel's network buffers come from <see cref="Hosting.BoundedBlockPool"/>, which keeps a few MB of idle blocks
/// and leaves the rest to the collector. So a request of at least <see cref="ThresholdBytes"/> schedules aggressive
/// collections (<see cref="GCCollectionMode.Aggressive"/>: compacting, and decommitting the memory the collector
/// would otherwise keep committed for later allocations, then glibc's <c>malloc_trim</c> for the native heaps) at 1,
/// 3, 10 and 30 s after inference (the answer may still be on its way at the first), once the array pool's minute has
/// passed, and then each minute for ten minutes; ordinary requests never pay for it (a collection of this server's
/// small heap takes a few milliseconds). Measured effect in docs/BENCHMARKS.md.
/// </summary>
public static partial class LargeRequestMemory
{
    public const long ThresholdBytes = 4 << 20;

    /// <summary>While the answer is written and just after; after the shared array pool's 60 s trim age; then each minute for 10 minutes.</summary>
    private static readonly TimeSpan[] Delays =
        [.. new[] { 1, 3, 10, 30 }.Select(s => TimeSpan.FromSeconds(s)), .. Enumerable.Range(1, 10).Select(m => TimeSpan.FromSeconds(2 + 60 * m))];

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

    private static int _noMallocTrim;

    /// <summary>
    /// One aggressive collection now: the server runs it once its models have loaded and warmed up, so an idle server
    /// does not keep the loading's garbage committed (tens of MB) until its first large request. Then glibc's
    /// <c>malloc_trim</c> hands the free pages of the native heaps (ONNX Runtime's and the runtime's own allocations)
    /// back to the system; where there is no glibc (musl) that step is skipped.
    /// </summary>
    public static void Collect()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (OperatingSystem.IsLinux() && Volatile.Read(ref _noMallocTrim) == 0)
        {
            try
            {
                MallocTrim(0);
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                Volatile.Write(ref _noMallocTrim, 1);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
