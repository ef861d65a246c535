using Edge.Serve.Protocol.Triton;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Edge.Serve.Tensors;

/// <summary>
/// One v2 protocol datatype: its wire name (<c>INT32</c>), the ONNX element type it runs as, the Triton model
/// configuration type (<c>TYPE_INT32</c>), and its element size in bytes (0 for BYTES, whose elements vary).
/// </summary>
public sealed record TensorDataType(string Name, TensorElementType Onnx, DataType Config, int ElementSize)
{
    public bool IsBytes => ElementSize == 0;

    public override string ToString() => Name;
}

/// <summary>
/// The registry of every v2 datatype (KServe v2 "Tensor Data Types"), looked up by wire name or ONNX element type;
/// a lookup that fails names the known ones.
/// </summary>
public static class TensorDataTypes
{
    public static readonly TensorDataType Bool = new("BOOL", TensorElementType.Bool, DataType.TypeBool, 1);
    public static readonly TensorDataType UInt8 = new("UINT8", TensorElementType.UInt8, DataType.TypeUint8, 1);
    public static readonly TensorDataType UInt16 = new("UINT16", TensorElementType.UInt16, DataType.TypeUint16, 2);
    public static readonly TensorDataType UInt32 = new("UINT32", TensorElementType.UInt32, DataType.TypeUint32, 4);
    public static readonly TensorDataType UInt64 = new("UINT64", TensorElementType.UInt64, DataType.TypeUint64, 8);
    public static readonly TensorDataType Int8 = new("INT8", TensorElementType.Int8, DataType.TypeInt8, 1);
    public static readonly TensorDataType Int16 = new("INT16", TensorElementType.Int16, DataType.TypeInt16, 2);
    public static readonly TensorDataType Int32 = new("INT32", TensorElementType.Int32, DataType.TypeInt32, 4);
    public static readonly TensorDataType Int64 = new("INT64", TensorElementType.Int64, DataType.TypeInt64, 8);
    public static readonly TensorDataType Fp16 = new("FP16", TensorElementType.Float16, DataType.TypeFp16, 2);
    public static readonly TensorDataType Bf16 = new("BF16", TensorElementType.BFloat16, DataType.TypeBf16, 2);
    public static readonly TensorDataType Fp32 = new("FP32", TensorElementType.Float, DataType.TypeFp32, 4);
    public static readonly TensorDataType Fp64 = new("FP64", TensorElementType.Double, DataType.TypeFp64, 8);
    public static readonly TensorDataType Bytes = new("BYTES", TensorElementType.String, DataType.TypeString, 0);

    public static IReadOnlyList<TensorDataType> All { get; } = [Bool, UInt8, UInt16, UInt32, UInt64, Int8, Int16, Int32, Int64, Fp16, Bf16, Fp32, Fp64, Bytes];

    private static readonly Dictionary<string, TensorDataType> ByNameTable = All.ToDictionary(t => t.Name, StringComparer.Ordinal);
    private static readonly Dictionary<TensorElementType, TensorDataType> ByOnnxTable = All.ToDictionary(t => t.Onnx);

    public static bool TryParse(string name, out TensorDataType type) => ByNameTable.TryGetValue(name, out type!);

    /// <summary>The datatype a request names; unknown names are the client's error.</summary>
    public static TensorDataType Parse(string name, string what) =>
        ByNameTable.TryGetValue(name, out var t) ? t
        : throw ServeException.Invalid($"{what} has datatype '{Text.Clip(name)}', which is not a v2 datatype ({string.Join(", ", All.Select(a => a.Name))})");

    /// <summary>The datatype an ONNX tensor of <paramref name="type"/> is served as; null when v2 has none (complex, float8, int4).</summary>
    public static TensorDataType? FromOnnx(TensorElementType type) => ByOnnxTable.GetValueOrDefault(type);
}
