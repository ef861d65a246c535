using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace Edge.Serve.Hosting;

/// <summary>
/// The memory pool Kestrel's connections read requests into and write answers from, in place of its own
/// (<c>PinnedBlockMemoryPool</c>, which keeps every block it ever allocated and, since .NET 10, gives back 5% of the
/// idle ones every 10 s: a 15 MB gRPC request and its 15 MB answer left ~30 MB of pinned blocks for minutes,
/// docs/BENCHMARKS.md). Blocks are 4 KiB, as Kestrel's; at most <see cref="MaxIdleBlocks"/> idle blocks are kept for
/// reuse, which covers the churn of ordinary traffic, and a block returned beyond that is dropped for the garbage
/// collector. Blocks are ordinary (movable) arrays, not pinned ones: the socket pins a buffer only for the duration of
/// one receive or send, and a dropped block can then be compacted away instead of holding a pinned-heap region.
/// </summary>
public sealed class BoundedBlockPool : MemoryPool<byte>
{
    public const int BlockSize = 4096;

    private readonly ConcurrentQueue<Block> _idle = new();
    private int _idleCount;
    private long _allocated;
    private long _dropped;
    private bool _disposed;

    public BoundedBlockPool(int maxIdleBlocks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxIdleBlocks);
        MaxIdleBlocks = maxIdleBlocks;
    }

    /// <summary>Most idle blocks kept; <c>MaxIdleBlocks × BlockSize</c> bytes is all the pool holds when nothing is in flight.</summary>
    public int MaxIdleBlocks { get; }

    public override int MaxBufferSize => BlockSize;

    /// <summary>Idle blocks held now.</summary>
    public int IdleBlocks => _idle.Count;

    /// <summary>Blocks allocated since the pool was made (rented when none was idle).</summary>
    public long AllocatedBlocks => Interlocked.Read(ref _allocated);

    /// <summary>Blocks returned while <see cref="MaxIdleBlocks"/> were already idle, and left to the collector.</summary>
    public long DroppedBlocks => Interlocked.Read(ref _dropped);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (minBufferSize > BlockSize)
            throw new ArgumentOutOfRangeException(nameof(minBufferSize), minBufferSize, $"this pool's blocks are {BlockSize} bytes");
        if (_idle.TryDequeue(out var block))
        {
            // Dequeued before the count goes down, so the count never under-reads the queue (see Return).
            Interlocked.Decrement(ref _idleCount);
            block.Rented();
            return block;
        }
        Interlocked.Increment(ref _allocated);
        return new Block(this);
    }

    private void Return(Block block)
    {
        // Counted before it is queued: the count is never below the queue's length, so the queue never exceeds the cap.
        if (!_disposed && Interlocked.Increment(ref _idleCount) <= MaxIdleBlocks)
        {
            _idle.Enqueue(block);
            return;
        }
        if (!_disposed)
            Interlocked.Decrement(ref _idleCount);
        Interlocked.Increment(ref _dropped);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _idle.Clear();
        _idleCount = 0;
    }

    private sealed class Block(BoundedBlockPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize);
        private int _returned;

        public Memory<byte> Memory => _returned == 0 ? _array : throw new ObjectDisposedException(nameof(BoundedBlockPool) + " block");

        public void Rented() => _returned = 0;

        public void Dispose()
        {
            // A second Dispose must not queue the block twice (two renters would then share it).
            if (Interlocked.Exchange(ref _returned, 1) == 0)
                pool.Return(this);
        }
    }
}

/// <summary>
/// Kestrel's <see cref="IMemoryPoolFactory{T}"/> (public since ASP.NET Core 10): registered before Kestrel's own, it
/// makes every transport and connection pool a <see cref="BoundedBlockPool"/>.
/// </summary>
public sealed class BoundedBlockPoolFactory(int maxIdleBlocks) : IMemoryPoolFactory<byte>
{
    private readonly ConcurrentDictionary<BoundedBlockPool, byte> _pools = new();

    public int MaxIdleBlocks => maxIdleBlocks;

    /// <summary>The pools made so far (one per listener's transport), for metrics and tests.</summary>
    public IReadOnlyList<BoundedBlockPool> Pools => [.. _pools.Keys];

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null)
    {
        var pool = new BoundedBlockPool(maxIdleBlocks);
        _pools.TryAdd(pool, 0);
        return pool;
    }
}
