using System.Buffers;

namespace Edge.Serve.Tensors;

/// <summary>
/// A byte buffer for tensor data: rented from a bounded pool up to <see cref="MaxPooledBytes"/> (the sizes every
/// request and batch of a served model reuses), a plain array above it. A large request's buffer is therefore
/// garbage once the request is answered instead of being kept by a pool for the life of the process.
/// </summary>
public sealed class PooledBuffer : IDisposable
{
    /// <summary>Buffers up to 4 MiB are pooled: a batch of 32 ResNet-18 inputs is 128 KiB, of 3x224x224 inputs 19 MiB.</summary>
    public const int MaxPooledBytes = 4 << 20;

    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(MaxPooledBytes, maxArraysPerBucket: 32);
    private byte[]? _array;

    private PooledBuffer(byte[] array, int length, bool pooled)
    {
        _array = array;
        Length = length;
        Pooled = pooled;
    }

    public int Length { get; }
    public bool Pooled { get; }

    public static PooledBuffer Rent(long length)
    {
        if (length < 0 || length > Array.MaxLength)
            throw ServeException.Invalid($"a tensor of {length} bytes is larger than this server can hold ({Array.MaxLength} bytes)");
        int n = (int)length;
        return n <= MaxPooledBytes ? new PooledBuffer(Pool.Rent(n), n, pooled: true) : new PooledBuffer(GC.AllocateUninitializedArray<byte>(n), n, pooled: false);
    }

    public Memory<byte> Memory => (_array ?? throw new ObjectDisposedException(nameof(PooledBuffer))).AsMemory(0, Length);

    public Span<byte> Span => Memory.Span;

    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null && Pooled)
            Pool.Return(array);
    }
}
