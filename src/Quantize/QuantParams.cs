namespace Edge.Quantize;

/// <summary>Scale and zero point of a linear quantization: real = (q - zeroPoint) * scale.</summary>
public readonly record struct QuantParams(float Scale, int ZeroPoint, QuantType Type)
{
    /// <summary>
    /// Parameters covering [min, max] (widened to contain 0 so that 0 is exact, as padding and ReLU need).
    /// Symmetric puts 0 in the middle of the integer range; asymmetric spends all levels on [min, max].
    /// </summary>
    public static QuantParams FromRange(float min, float max, QuantType type, bool symmetric)
    {
        float rmin = Math.Min(min, 0f), rmax = Math.Max(max, 0f);
        if (!float.IsFinite(rmin) || !float.IsFinite(rmax))
            throw new ArgumentException($"range [{min}, {max}] is not finite");
        int qmin = type.Min(), qmax = type.Max();
        if (symmetric)
        {
            float absMax = Math.Max(-rmin, rmax);
            // Int8 uses -127..127 so that the range is exactly symmetric; UInt8 centres on 128.
            if (type == QuantType.Int8) qmin = -127;
            float scale = absMax == 0 ? 1f : 2 * absMax / (qmax - qmin);
            int zp = type == QuantType.Int8 ? 0 : 128;
            return new QuantParams(scale, zp, type);
        }
        else
        {
            float scale = rmax == rmin ? 1f : (rmax - rmin) / (qmax - qmin);
            int zp = (int)Math.Round(qmin - rmin / scale, MidpointRounding.ToEven);
            return new QuantParams(scale, Math.Clamp(zp, qmin, qmax), type);
        }
    }

    public int Quantize(float x) =>
        (int)Math.Clamp(Math.Round(x / Scale, MidpointRounding.ToEven) + ZeroPoint, Type.Min(), Type.Max());

    /// <summary>True when the smallest representable value is exactly 0, so quantizing clamps like ReLU.</summary>
    public bool ClampsAtZero => ZeroPoint == Type.Min();
}
