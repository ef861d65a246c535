using System.Runtime.InteropServices;
using Edge.Core;
using Edge.Onnx.Proto;
using Google.Protobuf;

namespace Edge.Onnx.Graph;

/// <summary>Reads and builds ONNX initializers (little-endian raw_data, as ONNX stores them).</summary>
public static class Tensors
{
    public static long ElementCount(TensorProto t)
    {
        long n = 1;
        foreach (long d in t.Dims) n *= d;
        return n;
    }

    public static float[] ToFloats(TensorProto t)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
            throw new EdgeException($"tensor '{t.Name}' is {(TensorProto.Types.DataType)t.DataType}, expected FLOAT");
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new EdgeException($"tensor '{t.Name}' uses external data, which the quantizer does not read; save the model with weights inside the file");
        if (t.HasRawData)
            return MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();
        return t.FloatData.ToArray();
    }

    public static bool IsFloat(TensorProto t) => t.DataType == (int)TensorProto.Types.DataType.Float;

    /// <summary>Integer values of an INT64 or INT32 initializer (shapes, axes, Clip bounds).</summary>
    public static long[] ToInt64s(TensorProto t)
    {
        return (TensorProto.Types.DataType)t.DataType switch
        {
            TensorProto.Types.DataType.Int64 => t.HasRawData ? MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray() : t.Int64Data.ToArray(),
            TensorProto.Types.DataType.Int32 => t.HasRawData ? MemoryMarshal.Cast<byte, int>(t.RawData.Span).ToArray().Select(v => (long)v).ToArray() : t.Int32Data.Select(v => (long)v).ToArray(),
            _ => throw new EdgeException($"tensor '{t.Name}' is {(TensorProto.Types.DataType)t.DataType}, expected an integer type"),
        };
    }

    public static TensorProto Float(string name, IReadOnlyList<long> dims, ReadOnlySpan<float> values) =>
        Raw(name, TensorProto.Types.DataType.Float, dims, MemoryMarshal.AsBytes(values));

    public static TensorProto Int32(string name, IReadOnlyList<long> dims, ReadOnlySpan<int> values) =>
        Raw(name, TensorProto.Types.DataType.Int32, dims, MemoryMarshal.AsBytes(values));

    public static TensorProto Int64(string name, IReadOnlyList<long> dims, ReadOnlySpan<long> values) =>
        Raw(name, TensorProto.Types.DataType.Int64, dims, MemoryMarshal.AsBytes(values));

    public static TensorProto Half(string name, IReadOnlyList<long> dims, ReadOnlySpan<System.Half> values) =>
        Raw(name, TensorProto.Types.DataType.Float16, dims, MemoryMarshal.AsBytes(values));

    /// <summary>An 8-bit tensor (INT8 or UINT8); <paramref name="values"/> holds the bytes (two's complement for INT8).</summary>
    public static TensorProto Bytes(string name, TensorProto.Types.DataType type, IReadOnlyList<long> dims, ReadOnlySpan<byte> values) =>
        type is TensorProto.Types.DataType.Int8 or TensorProto.Types.DataType.Uint8
            ? Raw(name, type, dims, values)
            : throw new ArgumentException($"Tensors.Bytes makes 8-bit tensors, not {type}", nameof(type));

    /// <summary>A copy of <paramref name="source"/> under another name.</summary>
    public static TensorProto Renamed(TensorProto source, string name)
    {
        var t = source.Clone();
        t.Name = name;
        return t;
    }

    private static TensorProto Raw(string name, TensorProto.Types.DataType type, IReadOnlyList<long> dims, ReadOnlySpan<byte> bytes)
    {
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.AddRange(dims);
        return t;
    }
}
