using Edge.Onnx.Proto;
using Google.Protobuf;

namespace Edge.Export.Onnx.Graph;

/// <summary>
/// An initializer's data kept as a plain array until serialization, so graph passes (BN folding,
/// constant folding) can compute on it without decoding protobuf bytes.
/// </summary>
public sealed class ConstTensor
{
    private ConstTensor(long[] dims, float[]? floats, long[]? longs)
    {
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if ((floats?.LongLength ?? longs!.LongLength) != count)
            throw new ArgumentException($"data length {floats?.Length ?? longs!.Length} does not match dims [{string.Join(",", dims)}]");
        Dims = dims;
        Floats = floats;
        Longs = longs;
    }

    public long[] Dims { get; }
    public float[]? Floats { get; }
    public long[]? Longs { get; }
    public bool IsFloat => Floats is not null;

    public static ConstTensor Of(float[] data, params long[] dims) => new(dims, data, null);
    public static ConstTensor OfLongs(long[] data, params long[] dims) => new(dims, null, data);
    public static ConstTensor Vector(params long[] data) => new([data.Length], null, data);
    public static ConstTensor Scalar(float value) => new([], [value], null);

    public TensorProto ToProto(string name)
    {
        var proto = new TensorProto { Name = name };
        proto.Dims.AddRange(Dims);
        if (Floats is not null)
        {
            proto.DataType = (int)TensorProto.Types.DataType.Float;
            var bytes = new byte[Floats.Length * sizeof(float)];
            Buffer.BlockCopy(Floats, 0, bytes, 0, bytes.Length); // ONNX raw_data is little-endian, as is x64/arm64
            proto.RawData = ByteString.CopyFrom(bytes);
        }
        else
        {
            proto.DataType = (int)TensorProto.Types.DataType.Int64;
            var bytes = new byte[Longs!.Length * sizeof(long)];
            Buffer.BlockCopy(Longs, 0, bytes, 0, bytes.Length);
            proto.RawData = ByteString.CopyFrom(bytes);
        }
        return proto;
    }
}
