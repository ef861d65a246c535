using System.Diagnostics;
using Edge.Core.Inference;
using Edge.Serve.Batching;
using Edge.Serve.Metrics;
using Xunit;

namespace Edge.Serve.Tests.Batching;

/// <summary>The batcher on its own (the teacher model, one intra-op thread): when batches go, and how big they get.</summary>
public sealed class DynamicBatcherTests : IDisposable
{
    private readonly OnnxClassifier _model = new(ServeTestKit.Teacher, new OnnxRunOptions { IntraOpThreads = 1, AllowSpinning = false });
    private readonly ServeMetrics _metrics = new();

    public void Dispose() => _model.Dispose();

    private DynamicBatcher Batcher(int maxBatch, TimeSpan delay) =>
        new(_model, new BatchingOptions { MaxBatchSize = maxBatch, MaxQueueDelay = delay, MaxQueueSize = 1024 }, _metrics, "m", "1");

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
        var answers = await Task.WhenAll(inputs.Select(x => batcher.InferAsync(x, 1, CancellationToken.None)));
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
        await batcher.InferAsync(Sample(0), 1, CancellationToken.None); // warm-up (first ORT call allocates)
        // Let the batcher go back to waiting: a request arriving just as a batch ends counts as queued behind it.
        await Task.Delay(100);
        var sw = Stopwatch.StartNew();
        await batcher.InferAsync(Sample(1), 1, CancellationToken.None);
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
        var calls = Enumerable.Range(0, 6).Select(i => batcher.InferAsync(Sample(i), 1, CancellationToken.None)).ToArray();
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
        var cancelled = batcher.InferAsync(Sample(0), 1, cts.Token);
        var kept = batcher.InferAsync(Sample(1), 1, CancellationToken.None);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(_model.NumClasses, (await kept).Length);
    }
}
