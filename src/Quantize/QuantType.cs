
namespace Edge.Quantize;

/// <summary>An 8-bit integer type for weights or activations.</summary>
public enum QuantType
{
    /// <summary>Unsigned 8-bit, 0..255.</summary>
    UInt8,
    /// <summary>Signed 8-bit, -128..127.</summary>
    Int8,
}

public static class QuantTypeExtensions
{
    public static int Min(this QuantType t) => t == QuantType.UInt8 ? 0 : -128;
    public static int Max(this QuantType t) => t == QuantType.UInt8 ? 255 : 127;
    public static TensorProto.Types.DataType ToOnnx(this QuantType t) =>
        t == QuantType.UInt8 ? TensorProto.Types.DataType.Uint8 : TensorProto.Types.DataType.Int8;
}
