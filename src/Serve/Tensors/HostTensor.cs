using System.Runtime.InteropServices;

namespace Edge.Serve.Tensors;

/// <summary>
/// A named tensor in host memory as the v2 protocol carries it: fixed-size elements as their little-endian bytes
/// (<see cref="Data"/>, exactly what ONNX Runtime reads, so FP16, BF16 and every integer type pass through without a
/// conversion), or BYTES as a list of elements. The data may be borrowed (a request's raw contents) or owned (a pooled
/// buffer, returned on <see cref="Dispose"/>).
/// </summary>
public sealed class HostTensor : IDisposable
{
    private IDisposable? _owner;

    private HostTensor(string name, TensorDataType type, long[] shape, ReadOnlyMemory<byte> data, IReadOnlyList<ReadOnlyMemory<byte>>? elements, IDisposable? owner)
    {
        Name = name;
        DataType = type;
        Shape = shape;
        Data = data;
        Elements = elements;
        _owner = owner;
    }

    public string Name { get; }
    public TensorDataType DataType { get; }
    public long[] Shape { get; }

    /// <summary>Little-endian element bytes (empty for BYTES).</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>The elements of a BYTES tensor (null otherwise).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>>? Elements { get; }

    public long ElementCount => ElementCountOf(Shape);

    /// <summary>The bytes this tensor takes in raw (binary) form: BYTES elements carry a 4-byte length each.</summary>
    public long RawByteSize => Elements is { } e ? e.Sum(x => 4L + x.Length) : Data.Length;

    /// <summary>A fixed-size tensor over <paramref name="data"/>; its length must match the shape.</summary>
    public static HostTensor Fixed(string name, TensorDataType type, long[] shape, ReadOnlyMemory<byte> data, IDisposable? owner = null)
    {
        if (type.IsBytes)
            throw new ArgumentException("BYTES tensors hold elements, not fixed-size data", nameof(type));
        long count = ElementCountOf(shape);
        if (count > Array.MaxLength || data.Length != count * type.ElementSize)
        {
            owner?.Dispose();
            throw ServeException.Invalid($"tensor '{Text.Clip(name)}' of shape {Text.Shape(shape)} needs {count * type.ElementSize} bytes of {type.Name} data ({count} elements), got {data.Length}");
        }
        return new HostTensor(name, type, shape, data, null, owner);
    }

    public static HostTensor Strings(string name, long[] shape, IReadOnlyList<ReadOnlyMemory<byte>> elements, IDisposable? owner = null)
    {
        long count = ElementCountOf(shape);
        if (elements.Count != count)
        {
            owner?.Dispose();
            throw ServeException.Invalid($"BYTES tensor '{Text.Clip(name)}' of shape {Text.Shape(shape)} needs {count} elements, got {elements.Count}");
        }
        return new HostTensor(name, TensorDataTypes.Bytes, shape, default, elements, owner);
    }

    /// <summary>Copies <paramref name="values"/> into a pooled buffer.</summary>
    public static HostTensor FromSpan<T>(string name, TensorDataType type, long[] shape, ReadOnlySpan<T> values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        var buffer = PooledBuffer.Rent(bytes.Length);
        bytes.CopyTo(buffer.Span);
        return Fixed(name, type, shape, buffer.Memory, buffer);
    }

    /// <summary>The same data under another name and shape (same element count); ownership moves to the result.</summary>
    public HostTensor Rename(string name, long[]? shape = null)
    {
        var owner = Interlocked.Exchange(ref _owner, null);
        return new HostTensor(name, DataType, shape ?? Shape, Data, Elements, owner);
    }

    /// <summary>The elements as <typeparamref name="T"/> (host order is little-endian on every platform Edge ships for).</summary>
    public ReadOnlySpan<T> As<T>() where T : unmanaged => MemoryMarshal.Cast<byte, T>(Data.Span);

    /// <summary>Product of the dimensions; an overflowing or negative shape is the client's error.</summary>
    public static long ElementCountOf(IReadOnlyList<long> shape)
    {
        long n = 1;
        foreach (long d in shape)
        {
            if (d < 0)
                throw ServeException.Invalid($"shape {Text.Shape(shape)} has a negative dimension");
            try
            {
                n = checked(n * d);
            }
            catch (OverflowException)
            {
                throw ServeException.Invalid($"shape {Text.Shape(shape)} has more elements than a tensor can hold");
            }
        }
        return n;
    }

    public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Dispose();
}
