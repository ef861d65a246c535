using Edge.Serve.Client;
using Edge.Testing;
using Grpc.Core;
using Xunit;

namespace Edge.Serve.Tests.Batching;

public sealed class ConcurrencyLimitTests
{
    [Fact]
    public async Task Calls_over_the_limit_wait_for_a_slot_and_a_deadline_passed_while_waiting_is_DEADLINE_EXCEEDED()
    {
        using var dir = new TempDir();
        ServeTestKit.AddVersion(dir.Path, "fmnist", 1);
        // One call at a time and a long batching delay: a call admitted alone sits in the batcher for 400 ms.
        var options = ServeTestKit.Options(dir.Path) with
        {
            MaxConcurrentRequests = 1,
            Batching = new BatchingOptions { MaxBatchSize = 8, MaxQueueDelay = TimeSpan.FromMilliseconds(400) },
        };
        await using var server = await ServeTestKit.StartAsync(options);
        using var client = EdgeClient.Connect(server.GrpcAddress);
        var batches = server.Metrics.BatchSize.WithLabels("fmnist");
        double before = batches.Count;

        var images = ServeTestKit.FashionImages.Take(3).ToArray();
        var results = await Task.WhenAll(images.Select(i => client.ClassifyAsync("fmnist", i.Png, topK: 1)));
        Assert.All(results, r => Assert.Single(r.Top));
        // Without the limit the three would share one batch; with it each ran alone.
        Assert.Equal(3, batches.Count - before);

        // A call that cannot get a slot before its deadline fails with DEADLINE_EXCEEDED, the admitted one succeeds.
        var admitted = client.ClassifyAsync("fmnist", images[0].Png, topK: 1);
        await Task.Delay(100);
        var e = await Assert.ThrowsAsync<RpcException>(() => client.ClassifyAsync("fmnist", images[1].Png, topK: 1, timeout: TimeSpan.FromMilliseconds(150)));
        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        Assert.Single((await admitted).Top);
    }
}
