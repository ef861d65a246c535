using System.Collections.Concurrent;
using System.Diagnostics;
using Edge.Serve.Protocol.Triton;

namespace Edge.Serve.Statistics;

/// <summary>
/// Triton's inference statistics for one model version, kept with lock-free counters on the request path:
/// requests that succeeded or failed (count and total time from arrival to answer), time queued and the compute
/// phases (input assembly, the ONNX Runtime call, output split) per scheduled request, and per batch size the
/// executions and their compute times. <c>inference_count</c> counts samples, <c>execution_count</c> model runs.
/// </summary>
public sealed class InferenceStatistics
{
    private Duration _success, _fail, _queue, _computeInput, _computeInfer, _computeOutput;
    private long _inferences, _executions, _lastInferenceMs;
    private readonly ConcurrentDictionary<int, BatchDurations> _batches = new();

    public void Succeeded(long ticks) => _success.Add(ticks);

    /// <summary>Forgets everything recorded so far (the warm-up request is not a client's).</summary>
    public void Reset()
    {
        _success = _fail = _queue = _computeInput = _computeInfer = _computeOutput = default;
        Interlocked.Exchange(ref _inferences, 0);
        Interlocked.Exchange(ref _executions, 0);
        Interlocked.Exchange(ref _lastInferenceMs, 0);
        _batches.Clear();
    }

    public void Failed(long ticks) => _fail.Add(ticks);

    /// <summary>One scheduled request (or chunk of one) left the queue and ran in a batch with these phase times.</summary>
    public void Scheduled(long queueTicks, long inputTicks, long inferTicks, long outputTicks)
    {
        _queue.Add(queueTicks);
        _computeInput.Add(inputTicks);
        _computeInfer.Add(inferTicks);
        _computeOutput.Add(outputTicks);
    }

    /// <summary>One model execution of <paramref name="batchSize"/> samples.</summary>
    public void Executed(int batchSize, long inputTicks, long inferTicks, long outputTicks)
    {
        Interlocked.Add(ref _inferences, batchSize);
        Interlocked.Increment(ref _executions);
        Volatile.Write(ref _lastInferenceMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var b = _batches.GetOrAdd(batchSize, static _ => new BatchDurations());
        b.Input.Add(inputTicks);
        b.Infer.Add(inferTicks);
        b.Output.Add(outputTicks);
    }

    public long InferenceCount => Interlocked.Read(ref _inferences);

    public long ExecutionCount => Interlocked.Read(ref _executions);

    public ModelStatistics ToProto(string name, string version)
    {
        var s = new ModelStatistics
        {
            Name = name,
            Version = version,
            LastInference = (ulong)Volatile.Read(ref _lastInferenceMs),
            InferenceCount = (ulong)InferenceCount,
            ExecutionCount = (ulong)ExecutionCount,
            InferenceStats = new InferStatistics
            {
                Success = _success.ToProto(),
                Fail = _fail.ToProto(),
                Queue = _queue.ToProto(),
                ComputeInput = _computeInput.ToProto(),
                ComputeInfer = _computeInfer.ToProto(),
                ComputeOutput = _computeOutput.ToProto(),
                CacheHit = new StatisticDuration(),
                CacheMiss = new StatisticDuration(),
            },
        };
        foreach (var (size, b) in _batches.OrderBy(kv => kv.Key))
            s.BatchStats.Add(new InferBatchStatistics
            {
                BatchSize = (ulong)size,
                ComputeInput = b.Input.ToProto(),
                ComputeInfer = b.Infer.ToProto(),
                ComputeOutput = b.Output.ToProto(),
            });
        return s;
    }

    private sealed class BatchDurations
    {
        public Duration Input, Infer, Output;
    }

    /// <summary>A count and a total in Stopwatch ticks, updated atomically (a reader may see one before the other).</summary>
    private struct Duration
    {
        private long _count, _ticks;

        public void Add(long ticks)
        {
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _ticks, Math.Max(0, ticks));
        }

        public StatisticDuration ToProto() => new()
        {
            Count = (ulong)Interlocked.Read(ref _count),
            Ns = (ulong)(Interlocked.Read(ref _ticks) * (1_000_000_000.0 / Stopwatch.Frequency)),
        };
    }
}
