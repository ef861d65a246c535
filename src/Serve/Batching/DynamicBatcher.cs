using System.Diagnostics;
using System.Threading.Channels;
using Edge.Serve.Inference;
using Edge.Serve.Metrics;
using Edge.Serve.Statistics;
using Edge.Serve.Tensors;

namespace Edge.Serve.Batching;

/// <summary>
/// Schedules one model version's requests onto its ONNX Runtime session. With merging on, requests queued for the
/// model are stacked along the batch dimension into runs of up to <see cref="BatchPolicy.MaxBatchSize"/> samples:
/// when a run finishes, whatever queued meanwhile goes at once (the run was its batching window); a request that
/// finds the model idle waits at most <see cref="BatchPolicy.MaxQueueDelay"/> for others (less once a preferred batch
/// size is reached and nothing else is queued). Only requests whose non-batch dimensions agree are stacked. A request
/// larger than the maximum batch is split into chunks of at most that size, so no single request can make ONNX Runtime
/// allocate activations for more than the configured batch. A full queue refuses new work with RESOURCE_EXHAUSTED; a
/// cancelled request (client gone, deadline passed) returns at once and is skipped if its run has not started.
/// Each instance is a dedicated thread, not the thread pool: a run can hold ONNX Runtime for hundreds of
/// milliseconds, and blocking a pool thread that long starves the request handling of a small machine.
/// </summary>
public sealed class DynamicBatcher : IAsyncDisposable
{
    private readonly TensorSession _session;
    private readonly BatchPolicy _policy;
    private readonly InferenceStatistics _stats;
    // Label lookups done once: the children are what the hot path records into.
    private readonly Prometheus.Histogram.Child _queueTime, _inferTime, _batchSize;
    private readonly Prometheus.Counter.Child _samples;
    private readonly string _label;
    private readonly string _version;
    private readonly Channel<BatchItem> _queue = Channel.CreateUnbounded<BatchItem>();
    private readonly Thread[] _workers;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;
    private int _queuedSamples;

    public DynamicBatcher(TensorSession session, BatchPolicy policy, InferenceStatistics stats, ServeMetrics metrics, string modelName, string version)
    {
        _session = session;
        _policy = policy;
        _stats = stats;
        _queueTime = metrics.QueueDuration.WithLabels(modelName);
        _inferTime = metrics.InferDuration.WithLabels(modelName);
        _batchSize = metrics.BatchSize.WithLabels(modelName);
        _samples = metrics.Samples.WithLabels(modelName, version);
        _label = modelName;
        _version = version;
        _workers = new Thread[Math.Max(1, policy.Instances)];
        _running = _workers.Length;
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(Loop) { IsBackground = true, Name = $"edge-batcher {modelName}:{version}#{i}" };
            _workers[i].Start();
        }
    }

    public BatchPolicy Policy => _policy;

    /// <summary>
    /// Runs <paramref name="inputs"/> (one per model input, in the session's input order) and returns every model
    /// output, in the session's output order; the caller disposes them. With a batch dimension, every input's first
    /// dimension is the request's batch size (the engine checked it).
    /// </summary>
    public async Task<HostTensor[]> InferAsync(IReadOnlyList<HostTensor> inputs, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        int max = _policy.MaxBatchSize;
        long batch = max > 0 ? inputs[0].Shape[0] : 1;
        // Larger than the whole queue: no retry can succeed, so it is the request's error, not a busy server.
        if (batch > _policy.MaxQueueSize)
            throw ServeException.Invalid($"a batch of {batch} is larger than model {_label} queues ({_policy.MaxQueueSize} samples); send at most {_policy.MaxQueueSize} per request");
        Reserve((int)batch);
        if (max <= 0 || batch <= max)
            return await Enqueue(inputs, (int)batch, cancellationToken).ConfigureAwait(false);

        // Larger than a run may be: chunks of at most `max` samples, queued together, reassembled in order.
        var chunks = new List<Task<HostTensor[]>>();
        try
        {
            long queued = 0;
            try
            {
                for (long start = 0; start < batch; start += max)
                {
                    int n = (int)Math.Min(max, batch - start);
                    chunks.Add(Enqueue(TensorBatching.Slice(inputs, start, n), n, cancellationToken));
                    queued += n;
                }
            }
            catch
            {
                Interlocked.Add(ref _queuedSamples, -(int)(batch - queued));
                throw;
            }
            await Task.WhenAll(chunks).ConfigureAwait(false);
            var parts = chunks.Select(c => c.Result).ToArray();
            try
            {
                return TensorBatching.Concat(parts, _session.Outputs);
            }
            finally
            {
                foreach (var part in parts)
                    foreach (var t in part)
                        t.Dispose();
            }
        }
        catch
        {
            foreach (var c in chunks.Where(c => c.IsCompletedSuccessfully))
                foreach (var t in c.Result)
                    t.Dispose();
            throw;
        }
    }

    /// <summary>Counts a request's samples into the queue, all of them or none (RESOURCE_EXHAUSTED: retry later).</summary>
    private void Reserve(int samples)
    {
        if (Interlocked.Add(ref _queuedSamples, samples) > _policy.MaxQueueSize)
        {
            Interlocked.Add(ref _queuedSamples, -samples);
            throw ServeException.Exhausted($"model {_label} has {_policy.MaxQueueSize} samples queued already; retry later");
        }
    }

    /// <summary>Queues samples already reserved; a refusal or cancellation gives them back.</summary>
    private Task<HostTensor[]> Enqueue(IReadOnlyList<HostTensor> inputs, int samples, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            Interlocked.Add(ref _queuedSamples, -samples);
            return Task.FromCanceled<HostTensor[]>(cancellationToken);
        }
        var item = new BatchItem(inputs, samples, _policy.Merge ? TensorBatching.SampleSignature(inputs) : "", Stopwatch.GetTimestamp(), cancellationToken);
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
            if (Interlocked.Decrement(ref _running) == 0)
                _stopped.TrySetResult();
        }
    }

    private void Work()
    {
        var reader = _queue.Reader;
        var batch = new List<BatchItem>(Math.Max(1, _policy.MaxBatchSize));
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
            if (_policy.Merge)
                carried = Collect(reader, batch, first, queuedBehindRun);
            Run(batch);
        }
    }

    /// <summary>Adds queued requests that fit the first one's batch; returns one that did not fit, to start the next.</summary>
    private BatchItem? Collect(ChannelReader<BatchItem> reader, List<BatchItem> batch, BatchItem first, bool queuedBehindRun)
    {
        int total = first.Samples;
        // Requests that queued while the previous run went have had that run as their batching window: they go at
        // once with whatever else is queued. Only a request that finds the model idle waits (up to the delay).
        long deadline = queuedBehindRun ? 0 : first.Enqueued + (long)(_policy.MaxQueueDelay.TotalSeconds * Stopwatch.Frequency);
        while (total < _policy.MaxBatchSize)
        {
            if (reader.TryRead(out var next))
            {
                if (total + next.Samples > _policy.MaxBatchSize || next.Signature != first.Signature)
                    return next;
                batch.Add(next);
                total += next.Samples;
                continue;
            }
            if (_policy.PreferredBatchSizes.Contains(total))
                break;
            long wait = deadline - Stopwatch.GetTimestamp();
            if (wait <= 0 || !WaitForMore(reader, wait))
                break;
        }
        return null;
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
        int total = 0;
        foreach (var item in batch)
            total += item.Samples;

        HostTensor[]? stacked = null;
        HostTensor[]? outputs = null;
        try
        {
            IReadOnlyList<HostTensor> inputs = batch.Count == 1 ? batch[0].Inputs : stacked = TensorBatching.Stack(batch.Select(b => b.Inputs).ToArray(), total);
            long inputDone = Stopwatch.GetTimestamp();
            outputs = _session.Run(inputs);
            long inferDone = Stopwatch.GetTimestamp();
            HostTensor[][] parts = batch.Count == 1 ? [outputs] : TensorBatching.Split(outputs, batch.Select(b => b.Samples).ToArray());
            long end = Stopwatch.GetTimestamp();

            long inTicks = inputDone - start, inferTicks = inferDone - inputDone, outTicks = end - inferDone;
            _inferTime.Observe(Stopwatch.GetElapsedTime(start, end).TotalSeconds);
            _batchSize.Observe(total);
            _samples.Inc(total);
            _stats.Executed(total, inTicks, inferTicks, outTicks);
            for (int i = 0; i < batch.Count; i++)
            {
                long queueTicks = start - batch[i].Enqueued;
                _queueTime.Observe(queueTicks / (double)Stopwatch.Frequency);
                _stats.Scheduled(queueTicks, inTicks, inferTicks, outTicks);
                batch[i].Complete(parts[i]);
            }
            if (batch.Count > 1)
                foreach (var o in outputs)
                    o.Dispose();
            outputs = null;
        }
        catch (Exception e)
        {
            if (outputs is not null)
                foreach (var o in outputs)
                    o.Dispose();
            foreach (var item in batch)
                item.Fail(e);
        }
        finally
        {
            if (stacked is not null)
                foreach (var t in stacked)
                    t.Dispose();
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
        private readonly TaskCompletionSource<HostTensor[]> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _registration;

        public BatchItem(IReadOnlyList<HostTensor> inputs, int samples, string signature, long enqueued, CancellationToken cancellationToken)
        {
            Inputs = inputs;
            Samples = samples;
            Signature = signature;
            Enqueued = enqueued;
            if (cancellationToken.CanBeCanceled)
                _registration = cancellationToken.UnsafeRegister(static (state, token) => ((BatchItem)state!)._done.TrySetCanceled(token), this);
        }

        public IReadOnlyList<HostTensor> Inputs { get; }
        public int Samples { get; }
        public string Signature { get; }
        public long Enqueued { get; }
        public Task<HostTensor[]> Task => _done.Task;
        public bool IsDone => _done.Task.IsCompleted;

        public void Complete(HostTensor[] outputs)
        {
            _registration.Dispose();
            if (!_done.TrySetResult(outputs))
                foreach (var o in outputs)
                    o.Dispose(); // cancelled meanwhile: nobody will read them
        }

        public void Fail(Exception e)
        {
            _registration.Dispose();
            _done.TrySetException(e);
        }
    }
}
