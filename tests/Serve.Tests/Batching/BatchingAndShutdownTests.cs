using Edge.Serve.Client;
using Edge.Testing;
using Xunit;

namespace Edge.Serve.Tests.Batching;

public sealed class BatchingAndShutdownTests
{
    [Fact]
    public async Task Concurrent_requests_share_batches_and_stopping_drains_them()
    {
        using var dir = new TempDir();
        ServeTestKit.AddVersion(dir.Path, "fmnist", 1);
        var options = ServeTestKit.Options(dir.Path) with
        {
            Batching = new BatchingOptions { MaxBatchSize = 16, MaxQueueDelay = TimeSpan.FromMilliseconds(20) },
        };
        var server = await ServeTestKit.StartAsync(options);
        var batches = server.Metrics.BatchSize.WithLabels("fmnist");
        double countBefore = batches.Count, sumBefore = batches.Sum;

        using var client = EdgeClient.Connect(server.GrpcAddress);
        var images = ServeTestKit.FashionImages.Take(32).ToArray();
        var calls = images.Select(i => client.ClassifyAsync("fmnist", i.Png, topK: 1)).ToArray();
        await Task.WhenAll(calls);
        double batchCount = batches.Count - countBefore, samples = batches.Sum - sumBefore;
        Assert.Equal(32, samples);
        Assert.True(batchCount <= 16, $"32 concurrent requests ran in {batchCount} batches; batching should merge them");

        // Requests in flight when the stop begins still complete.
        var inFlight = images.Select(i => client.ClassifyAsync("fmnist", i.Png, topK: 1)).ToArray();
        await Task.WhenAny(inFlight); // by the first answer every request has reached the server
        var stopping = server.DisposeAsync().AsTask();
        var results = await Task.WhenAll(inFlight);
        await stopping;
        Assert.All(results, r => Assert.Single(r.Top));
    }
}
