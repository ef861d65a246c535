using System.Text.Json.Serialization;

namespace Edge.Core.Preprocessing;

public enum ResizeMethod
{
    /// <summary>Bilinear, half-pixel centres, no antialias: PyTorch's interpolate(align_corners=False).</summary>
    Bilinear,
    /// <summary>Nearest neighbour (floor of the half-pixel-centred source coordinate).</summary>
    Nearest,
}

/// <summary>
/// How an image becomes a model input tensor. Stored in every model manifest and implemented once, by
/// <see cref="Preprocessor"/>, so distill evaluation, export parity, the gate and the server all build
/// bit-identical tensors from the same image.
/// Order: decode to 8-bit (gray or RGB) → centre crop (keeps <see cref="CropFraction"/> of each side) →
/// pixel / 255 → resize to Height × Width → (x − mean) / std per channel → NCHW float32.
/// </summary>
public sealed record PreprocessSpec
{
    public int Channels { get; init; } = 1;
    public int Height { get; init; } = 32;
    public int Width { get; init; } = 32;
    public ResizeMethod Resize { get; init; } = ResizeMethod.Bilinear;
    public float CropFraction { get; init; } = 1f;
    public float[] Mean { get; init; } = [0.2860f];
    public float[] Std { get; init; } = [0.3530f];

    [JsonIgnore] public int TensorLength => Channels * Height * Width;

    /// <summary>The default teacher's preprocessing (see models/fmnist-resnet18.md).</summary>
    public static PreprocessSpec FashionMnist32 => new();

    public void Validate()
    {
        if (Channels is not (1 or 3))
            throw new EdgeException($"preprocess.channels must be 1 or 3, got {Channels}");
        if (Height < 1 || Width < 1 || Height > 4096 || Width > 4096)
            throw new EdgeException($"preprocess size {Height}x{Width} is out of range (1..4096)");
        if (Mean.Length != Channels || Std.Length != Channels)
            throw new EdgeException($"preprocess.mean and preprocess.std need {Channels} value(s) each, got {Mean.Length} and {Std.Length}");
        if (Std.Any(s => !(s > 0) || float.IsInfinity(s)))
            throw new EdgeException("preprocess.std values must be positive");
        if (!(CropFraction > 0 && CropFraction <= 1))
            throw new EdgeException($"preprocess.crop_fraction must be in (0, 1], got {CropFraction}");
    }

    /// <summary>Value equality over the arrays too (records compare arrays by reference).</summary>
    public bool SameAs(PreprocessSpec other) =>
        Channels == other.Channels && Height == other.Height && Width == other.Width && Resize == other.Resize
        && CropFraction == other.CropFraction && Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std);

    public override string ToString() =>
        $"{Channels}x{Height}x{Width} {Resize.ToString().ToLowerInvariant()} crop {CropFraction:0.###} mean [{string.Join(", ", Mean)}] std [{string.Join(", ", Std)}]";
}
