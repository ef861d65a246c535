using System.Diagnostics;
using Edge.Core.Inference;
using Edge.Serve.Batching;
using Edge.Serve.Inference;
using Edge.Serve.Metrics;
using Edge.Serve.Statistics;
using Edge.Serve.Tensors;
using Xunit;

namespace Edge.Serve.Tests.Batching;

/// <summary>The batcher on its own (the teacher model, one intra-op thread): when batches go, and how big they get.</summary>
public sealed class DynamicBatcherTests : IDisposable
{
    private readonly OnnxClassifier _model = new(ServeTestKit.Teacher, new OnnxRunOptions { IntraOpThreads = 1, AllowSpinning = false });
    private readonly TensorSession _session = new(ServeTestKit.Teacher, new OnnxRunOptions { IntraOpThreads = 1, AllowSpinning = false });
    private readonly ServeMetrics _metrics = new();
    private readonly InferenceStatistics _stats = new();

    public void Dispose()
    {
        _model.Dispose();
        _session.Dispose();
    }

    private DynamicBatcher Batcher(int maxBatch, TimeSpan delay, int queue = 1024) =>
        new(_session, new BatchPolicy { MaxBatchSize = maxBatch, Merge = maxBatch > 1, MaxQueueDelay = delay, MaxQueueSize = queue }, _stats, _metrics, "m", "1");

    /// <summary>Runs samples (stacked) through the batcher and returns the logits.</summary>
    private static async Task<float[]> Infer(DynamicBatcher batcher, CancellationToken ct, params float[][] samples)
    {
        using var input = HostTensor.FromSpan("input", TensorDataTypes.Fp32, [samples.Length, 1, 32, 32], samples.SelectMany(x => x).ToArray().AsSpan());
        var outputs = await batcher.InferAsync([input], ct);
        try
        {
            return outputs[0].As<float>().ToArray();
        }
        finally
        {
            foreach (var o in outputs)
                o.Dispose();
        }
    }

    private float[] Sample(int seed)
    {
        var x = new float[_model.SampleLength];
        var rng = new Random(seed);
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)rng.NextDouble();
        return x;
    }

    private (double Calls, double Samples) Batches()
    {
        var h = _metrics.BatchSize.WithLabels("m");
        return (h.Count, h.Sum);
    }

    /// <summary>Calls whose batch had at most <paramref name="bound"/> samples (a bucket of the exported histogram).</summary>
    private double CallsOfAtMost(int bound)
    {
        using var text = new MemoryStream();
        _metrics.Registry.CollectAndExportAsTextAsync(text).GetAwaiter().GetResult();
        string bucket = $"edge_batch_size_bucket{{model=\"m\",le=\"{bound}\"}} ";
        var line = System.Text.Encoding.UTF8.GetString(text.ToArray()).Split('\n').Single(l => l.StartsWith(bucket, StringComparison.Ordinal));
        return double.Parse(line[bucket.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Answers_are_the_same_as_unbatched_inference_and_batches_never_exceed_the_maximum()
    {
        await using var batcher = Batcher(maxBatch: 4, delay: TimeSpan.FromMilliseconds(50));
        var inputs = Enumerable.Range(0, 10).Select(Sample).ToArray();
        var answers = await Task.WhenAll(inputs.Select(x => Infer(batcher, CancellationToken.None, x)));
        for (int i = 0; i < inputs.Length; i++)
            Services.InferenceServiceTests.AssertClose(_model.Run(inputs[i], 1), answers[i]);
        var (calls, samples) = Batches();
        Assert.Equal(10, samples);
        Assert.Equal(calls, CallsOfAtMost(4));
        Assert.True(calls >= 3, $"10 samples in batches of at most 4 need at least 3 calls, got {calls}");
    }

    [Fact]
    public async Task A_request_that_finds_the_model_idle_waits_at_most_the_queue_delay()
    {
        await using var batcher = Batcher(maxBatch: 8, delay: TimeSpan.FromMilliseconds(300));
        await Infer(batcher, CancellationToken.None, Sample(0)); // warm-up (first ORT call allocates)
        // Let the batcher go back to waiting: a request arriving just as a batch ends counts as queued behind it.
        await Task.Delay(100);
        var sw = Stopwatch.StartNew();
        await Infer(batcher, CancellationToken.None, Sample(1));
        double ms = sw.Elapsed.TotalMilliseconds;
        // It waited for company (≈ 300 ms), then ran alone rather than waiting for a full batch.
        Assert.True(ms >= 250, $"a lone request went after {ms:F0} ms; it should wait up to the 300 ms delay for others");
        Assert.True(ms < 3000, $"a lone request took {ms:F0} ms; the 300 ms delay should bound its wait");
    }

    [Fact]
    public async Task A_full_batch_and_the_requests_queued_behind_it_go_at_once_without_waiting_the_delay()
    {
        // A 5 s delay: anything that waited it would fail the time bound below.
        await using var batcher = Batcher(maxBatch: 4, delay: TimeSpan.FromSeconds(5));
        var sw = Stopwatch.StartNew();
        // 4 fill the first batch (it goes at once); the other 2 queue while it runs, and go as soon as it ends.
        var calls = Enumerable.Range(0, 6).Select(i => Infer(batcher, CancellationToken.None, Sample(i))).ToArray();
        await Task.WhenAll(calls);
        double ms = sw.Elapsed.TotalMilliseconds;
        Assert.True(ms < 2500, $"6 requests with max batch 4 took {ms:F0} ms: the 2 queued behind the full batch waited for the 5 s delay");
        Assert.Equal(6, Batches().Samples);
    }

    [Fact]
    public async Task A_cancelled_request_returns_at_once_and_the_rest_of_its_batch_is_answered()
    {
        await using var batcher = Batcher(maxBatch: 8, delay: TimeSpan.FromMilliseconds(500));
        using var cts = new CancellationTokenSource();
        var cancelled = Infer(batcher, cts.Token, Sample(0));
        var kept = Infer(batcher, CancellationToken.None, Sample(1));
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(_model.NumClasses, (await kept).Length);
    }

    [Fact]
    public async Task A_request_larger_than_the_maximum_batch_runs_in_chunks_and_answers_as_one()
    {
        await using var batcher = Batcher(maxBatch: 4, delay: TimeSpan.FromMilliseconds(1));
        var samples = Enumerable.Range(0, 10).Select(Sample).ToArray();
        float[] answer = await Infer(batcher, CancellationToken.None, samples);
        float[] expected = _model.Run(samples.SelectMany(x => x).ToArray(), 10);
        Services.InferenceServiceTests.AssertClose(expected, answer);
        // 10 samples with max batch 4: chunks of 4, 4 and 2, none larger.
        Assert.Equal(3, Batches().Calls);
        Assert.Equal(Batches().Calls, CallsOfAtMost(4));
        Assert.Equal(3, _stats.ExecutionCount);
        Assert.Equal(10, _stats.InferenceCount);
    }

    [Fact]
    public async Task A_request_larger_than_the_whole_queue_is_INVALID_ARGUMENT_not_RESOURCE_EXHAUSTED()
    {
        await using var batcher = Batcher(maxBatch: 4, delay: TimeSpan.Zero, queue: 8);
        var e = await Assert.ThrowsAsync<ServeException>(() => Infer(batcher, CancellationToken.None, Enumerable.Range(0, 9).Select(Sample).ToArray()));
        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, e.Code);
        Assert.Contains("larger than model m queues (8 samples)", e.Message);
        // A request that fits is still served after the refusal (nothing stayed reserved).
        Assert.Equal(80, (await Infer(batcher, CancellationToken.None, Enumerable.Range(0, 8).Select(Sample).ToArray())).Length);
    }
}
