using System.Numerics;

namespace Edge.Serve.Tensors;

/// <summary>Reading a fixed-size tensor's elements as numbers, whatever its datatype.</summary>
public static class TensorValues
{
    public static double[] ToDoubles(HostTensor t)
    {
        var d = t.DataType;
        if (d == TensorDataTypes.Fp32) return Widen(t.As<float>());
        if (d == TensorDataTypes.Fp64) return t.As<double>().ToArray();
        if (d == TensorDataTypes.Fp16) return t.As<Half>().ToArray().Select(h => (double)h).ToArray();
        if (d == TensorDataTypes.Bf16) return t.As<ushort>().ToArray().Select(b => (double)BFloat16.ToSingle(b)).ToArray();
        if (d == TensorDataTypes.Int8) return Widen(t.As<sbyte>());
        if (d == TensorDataTypes.Int16) return Widen(t.As<short>());
        if (d == TensorDataTypes.Int32) return Widen(t.As<int>());
        if (d == TensorDataTypes.Int64) return Widen(t.As<long>());
        if (d == TensorDataTypes.UInt8 || d == TensorDataTypes.Bool) return Widen(t.As<byte>());
        if (d == TensorDataTypes.UInt16) return Widen(t.As<ushort>());
        if (d == TensorDataTypes.UInt32) return Widen(t.As<uint>());
        if (d == TensorDataTypes.UInt64) return Widen(t.As<ulong>());
        throw ServeException.Invalid($"tensor '{t.Name}' is {d}, not numeric");
    }

    private static double[] Widen<T>(ReadOnlySpan<T> values) where T : unmanaged, INumberBase<T>
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
            result[i] = double.CreateTruncating(values[i]);
        return result;
    }
}

/// <summary>bfloat16 (the top half of a float32) to and from float32, rounding to nearest even.</summary>
public static class BFloat16
{
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    public static ushort FromSingle(float value)
    {
        if (float.IsNaN(value))
            return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
