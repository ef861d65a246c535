using System.Buffers;
using Edge.Serve.Hosting;
using Edge.Serve.Protocol.Triton;
using Edge.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Edge.Serve.Tests.Hosting;

public sealed class BoundedBlockPoolTests
{
    [Fact]
    public void Returned_blocks_beyond_the_cap_are_dropped_and_the_kept_ones_are_reused()
    {
        using var pool = new BoundedBlockPool(maxIdleBlocks: 16);
        var rented = Enumerable.Range(0, 100).Select(_ => pool.Rent()).ToList();
        Assert.All(rented, b => Assert.Equal(BoundedBlockPool.BlockSize, b.Memory.Length));
        Assert.Equal(100, pool.AllocatedBlocks);
        Assert.Equal(0, pool.IdleBlocks);

        foreach (var b in rented)
            b.Dispose();
        // 100 returned, 16 kept: 84 left to the collector.
        Assert.Equal(16, pool.IdleBlocks);
        Assert.Equal(84, pool.DroppedBlocks);

        // The next 16 rents are the kept blocks (nothing new allocated); the 17th allocates.
        var again = Enumerable.Range(0, 16).Select(_ => pool.Rent()).ToList();
        Assert.Equal(100, pool.AllocatedBlocks);
        Assert.Equal(0, pool.IdleBlocks);
        using var extra = pool.Rent();
        Assert.Equal(101, pool.AllocatedBlocks);
        foreach (var b in again)
            b.Dispose();
        Assert.Equal(16, pool.IdleBlocks);
    }

    [Fact]
    public void A_block_disposed_twice_is_kept_once()
    {
        using var pool = new BoundedBlockPool(maxIdleBlocks: 8);
        var block = pool.Rent();
        block.Dispose();
        block.Dispose();
        Assert.Equal(1, pool.IdleBlocks);
        using var a = pool.Rent();
        using var b = pool.Rent();
        Assert.NotEqual(a.Memory, b.Memory);
        Assert.Equal(2, pool.AllocatedBlocks);
    }

    [Fact]
    public void A_rent_larger_than_a_block_is_refused_and_a_cap_of_zero_keeps_nothing()
    {
        using var pool = new BoundedBlockPool(maxIdleBlocks: 0);
        Assert.Equal(BoundedBlockPool.BlockSize, pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(BoundedBlockPool.BlockSize + 1));
        pool.Rent(100).Dispose();
        Assert.Equal(0, pool.IdleBlocks);
        Assert.Equal(1, pool.DroppedBlocks);
    }

    [Fact]
    public async Task Blocks_returned_concurrently_never_exceed_the_cap()
    {
        using var pool = new BoundedBlockPool(maxIdleBlocks: 32);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (int round = 0; round < 200; round++)
            {
                var blocks = Enumerable.Range(0, 20).Select(_ => pool.Rent()).ToList();
                foreach (var b in blocks)
                    b.Dispose();
                Assert.True(pool.IdleBlocks <= 32);
            }
        })));
        Assert.True(pool.IdleBlocks <= 32);
        // Every block allocated is either idle or dropped now (nothing is rented).
        Assert.Equal(pool.AllocatedBlocks, pool.IdleBlocks + pool.DroppedBlocks);
    }

    /// <summary>
    /// Kestrel uses the registered factory: a 2 MiB gRPC request (the whole message waits in the connection's input
    /// pipe before gRPC parses it) and its 2 MiB answer pass through the server's bounded pools, which afterwards hold
    /// at most their cap of 16 idle blocks and have dropped the rest. With Kestrel's own pool registered instead, the
    /// factory makes no pools and the test fails.
    /// </summary>
    [Fact]
    public async Task Kestrel_reads_and_writes_through_the_bounded_pool_and_keeps_at_most_its_cap_after_a_large_request()
    {
        using var dir = new TempDir();
        ServeTestKit.AddTensorModels(dir.Path);
        await using var server = await ServeTestKit.StartAsync(ServeTestKit.Options(dir.Path) with
        {
            IdleBufferBytes = 16 * BoundedBlockPool.BlockSize,
            Batching = new BatchingOptions { MaxBatchSize = 32, MaxQueueSize = 32768 },
        });
        var factory = server.Services.GetRequiredService<BoundedBlockPoolFactory>();
        Assert.Equal(16, factory.MaxIdleBlocks);

        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(server.GrpcAddress, new Grpc.Net.Client.GrpcChannelOptions { MaxReceiveMessageSize = null });
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        const int rows = 16384, width = 16; // INT32: 1 MiB per input and per output, 2 MiB each way
        var a = Enumerable.Range(0, rows * width).ToArray();
        var b = Enumerable.Repeat(1, rows * width).ToArray();
        var answer = await client.ModelInferAsync(TritonRequests.Simple(a, b, rows));
        Assert.Equal(a.Select(v => v + 1), TritonRequests.Output<int>(answer, "OUTPUT0"));

        var pools = factory.Pools;
        Assert.NotEmpty(pools);
        Assert.All(pools, p => Assert.True(p.IdleBlocks <= 16, $"a pool keeps {p.IdleBlocks} idle blocks, cap 16"));
        long allocated = pools.Sum(p => p.AllocatedBlocks), dropped = pools.Sum(p => p.DroppedBlocks);
        // 2 MiB request + 2 MiB answer = 1024 blocks of 4 KiB passed through; all but a few dozen must have been dropped.
        Assert.True(allocated >= 512, $"only {allocated} blocks were allocated: the request did not go through the bounded pool");
        Assert.True(dropped >= 512, $"only {dropped} blocks were dropped of {allocated}");
    }
}
