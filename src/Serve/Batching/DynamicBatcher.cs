using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using Edge.Core.Inference;
using Edge.Serve.Metrics;

namespace Edge.Serve.Batching;

/// <summary>
/// Merges requests queued for one model version into ONNX Runtime calls of up to
/// <see cref="BatchingOptions.MaxBatchSize"/> samples. When the model finishes a batch, whatever queued meanwhile is
/// dispatched at once (the run was its batching window); a request that finds the model idle waits at most
/// <see cref="BatchingOptions.MaxQueueDelay"/> for others to join it. A full queue refuses new work with RESOURCE_EXHAUSTED.
/// A cancelled request (client gone, deadline passed) returns at once and is skipped if its batch has not run yet.
/// One worker per model: the session already uses every intra-op thread it is given. The worker is a dedicated
/// thread, not the thread pool: a batch can hold ONNX Runtime for hundreds of milliseconds, and blocking a pool
/// thread that long starves the gRPC work of a small machine.
/// </summary>
public sealed class DynamicBatcher : IAsyncDisposable
{
    private readonly OnnxClassifier _model;
    private readonly BatchingOptions _options;
    // Label lookups done once: the children are what the hot path records into.
    private readonly Prometheus.Histogram.Child _queueTime, _inferTime, _batchSize;
    private readonly Prometheus.Counter.Child _samples;
    private readonly string _label;
    private readonly string _version;
    private readonly Channel<BatchItem> _queue = Channel.CreateUnbounded<BatchItem>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _worker;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _queuedSamples;

    public DynamicBatcher(OnnxClassifier model, BatchingOptions options, ServeMetrics metrics, string modelName, string version)
    {
        _model = model;
        _options = options;
        _queueTime = metrics.QueueDuration.WithLabels(modelName);
        _inferTime = metrics.InferDuration.WithLabels(modelName);
        _batchSize = metrics.BatchSize.WithLabels(modelName);
        _samples = metrics.Samples.WithLabels(modelName, version);
        _label = modelName;
        _version = version;
        _worker = new Thread(Loop) { IsBackground = true, Name = $"edge-batcher {modelName}:{version}" };
        _worker.Start();
    }

    /// <summary>Queues <paramref name="samples"/> samples (packed in <paramref name="input"/>) and returns their logits.</summary>
    public Task<float[]> InferAsync(float[] input, int samples, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Add(ref _queuedSamples, samples) > _options.MaxQueueSize && samples < _options.MaxQueueSize)
        {
            Interlocked.Add(ref _queuedSamples, -samples);
            throw ServeException.Exhausted($"model {_label} has {_options.MaxQueueSize} samples queued already; retry later");
        }
        var item = new BatchItem(input, samples, Stopwatch.GetTimestamp(), cancellationToken);
        if (!_queue.Writer.TryWrite(item))
        {
            Interlocked.Add(ref _queuedSamples, -samples);
            throw ServeException.Unavailable($"model {_label} version {_version} is unloading; retry");
        }
        return item.Task;
    }

    private void Loop()
    {
        try
        {
            Work();
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private void Work()
    {
        var reader = _queue.Reader;
        var batch = new List<BatchItem>(_options.MaxBatchSize);
        BatchItem? carried = null;
        while (true)
        {
            batch.Clear();
            BatchItem? first;
            bool queuedBehindRun = true;
            if (carried is not null)
            {
                first = carried;
                carried = null;
            }
            else if (!reader.TryRead(out first))
            {
                queuedBehindRun = false;
                if (!reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                    return;
                if (!reader.TryRead(out first))
                    continue;
            }
            batch.Add(first);
            int total = first.Samples;
            // Requests that queued while the previous batch ran have had that run as their batching window: they go
            // at once with whatever else is queued. Only a request that finds the model idle waits (up to the
            // delay) for others to join it.
            long deadline = queuedBehindRun ? 0 : first.Enqueued + (long)(_options.MaxQueueDelay.TotalSeconds * Stopwatch.Frequency);
            while (total < _options.MaxBatchSize)
            {
                if (reader.TryRead(out var next))
                {
                    if (total + next.Samples > _options.MaxBatchSize)
                    {
                        carried = next;
                        break;
                    }
                    batch.Add(next);
                    total += next.Samples;
                    continue;
                }
                long wait = deadline - Stopwatch.GetTimestamp();
                if (wait <= 0 || !WaitForMore(reader, wait))
                    break;
            }
            Run(batch);
        }
    }

    /// <summary>Blocks until more work is queued (true) or <paramref name="ticks"/> pass (false).</summary>
    private static bool WaitForMore(ChannelReader<BatchItem> reader, long ticks)
    {
        var wait = reader.WaitToReadAsync();
        if (wait.IsCompleted)
            return wait.Result;
        var task = wait.AsTask();
        var timeout = TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency);
        return task.Wait(timeout) && task.Result;
    }

    private void Run(List<BatchItem> batch)
    {
        int queued = 0;
        foreach (var item in batch)
            queued += item.Samples;
        Interlocked.Add(ref _queuedSamples, -queued);

        // Drop what was cancelled while it waited; its caller already has its answer.
        batch.RemoveAll(item => item.IsDone);
        if (batch.Count == 0)
            return;

        long start = Stopwatch.GetTimestamp();
        int len = _model.SampleLength, total = 0;
        foreach (var item in batch)
        {
            _queueTime.Observe(Stopwatch.GetElapsedTime(item.Enqueued, start).TotalSeconds);
            total += item.Samples;
        }

        float[]? rented = null;
        try
        {
            float[] input;
            if (batch.Count == 1)
                input = batch[0].Input;
            else
            {
                rented = ArrayPool<float>.Shared.Rent(total * len);
                int offset = 0;
                foreach (var item in batch)
                {
                    item.Input.AsSpan(0, item.Samples * len).CopyTo(rented.AsSpan(offset));
                    offset += item.Samples * len;
                }
                input = rented;
            }
            float[] logits = _model.Run(input, total);
            _inferTime.Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
            _batchSize.Observe(total);
            _samples.Inc(total);

            int classes = logits.Length / total, at = 0;
            foreach (var item in batch)
            {
                item.Complete(logits.AsSpan(at * classes, item.Samples * classes).ToArray());
                at += item.Samples;
            }
        }
        catch (Exception e)
        {
            foreach (var item in batch)
                item.Fail(e);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>Stops taking work, finishes everything already queued, then returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopped.Task.ConfigureAwait(false);
    }

    private sealed class BatchItem
    {
        private readonly TaskCompletionSource<float[]> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _registration;

        public BatchItem(float[] input, int samples, long enqueued, CancellationToken cancellationToken)
        {
            Input = input;
            Samples = samples;
            Enqueued = enqueued;
            if (cancellationToken.CanBeCanceled)
                _registration = cancellationToken.UnsafeRegister(static (state, token) => ((BatchItem)state!)._done.TrySetCanceled(token), this);
        }

        public float[] Input { get; }
        public int Samples { get; }
        public long Enqueued { get; }
        public Task<float[]> Task => _done.Task;
        public bool IsDone => _done.Task.IsCompleted;

        public void Complete(float[] logits)
        {
            _registration.Dispose();
            _done.TrySetResult(logits);
        }

        public void Fail(Exception e)
        {
            _registration.Dispose();
            _done.TrySetException(e);
        }
    }
}
