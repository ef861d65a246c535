using System.Text.Json.Serialization;

namespace Edge.Core.Preprocessing;

public enum ResizeMethod
{
    /// <summary>Bilinear, half-pixel centres, no antialias: PyTorch's interpolate(align_corners=False).</summary>
    Bilinear,
    /// <summary>Nearest neighbour (floor of the half-pixel-centred source coordinate).</summary>
    Nearest,
}

/// <summary>How a model wants colour: RGB planes, or luma (gray) — in 1 channel, or replicated to 3 for a model
/// that takes RGB tensors but was trained on gray images (gray→RGB replication).</summary>
public enum ColorMode
{
    Rgb,
    Gray,
}

/// <summary>
/// How an image becomes a model input tensor. Stored in every model manifest and implemented once, by
/// <see cref="Preprocessor"/>, so distill, export parity, the gate and the server all build bit-identical tensors
/// from the same image, whatever its own channels.
/// Order: decode to 8-bit in the image's own channels → pixel / 255 → colour (gray images are replicated for an
/// RGB model; RGB images become BT.601 luma for a gray model) → centre crop (keeps <see cref="CropFraction"/> of
/// each side) → resize to Height × Width → (x − mean) / std per channel → NCHW float32.
/// </summary>
public sealed record PreprocessSpec
{
    public int Channels { get; init; } = 1;
    public int Height { get; init; } = 32;
    public int Width { get; init; } = 32;
    /// <summary>Null: gray for 1 channel, RGB for 3. Gray with 3 channels: luma replicated to all three.</summary>
    public ColorMode? Color { get; init; }
    public ResizeMethod Resize { get; init; } = ResizeMethod.Bilinear;
    public float CropFraction { get; init; } = 1f;
    /// <summary>Default 0 and 1 (no normalisation): a manifest states its model's normalisation or gets none, never
    /// another dataset's.</summary>
    public float[] Mean { get; init; } = [0f];
    public float[] Std { get; init; } = [1f];

    [JsonIgnore] public int TensorLength => Channels * Height * Width;

    [JsonIgnore] public ColorMode EffectiveColor => Color ?? (Channels == 1 ? ColorMode.Gray : ColorMode.Rgb);

    /// <summary>The default teacher's preprocessing (see models/fmnist-resnet18.md).</summary>
    public static PreprocessSpec FashionMnist32 => new() { Channels = 1, Height = 32, Width = 32, Mean = [0.2860f], Std = [0.3530f] };

    public void Validate()
    {
        if (Channels is not (1 or 3))
            throw new EdgeException($"preprocess.channels must be 1 or 3, got {Channels}");
        if (Height < 1 || Width < 1 || Height > 4096 || Width > 4096)
            throw new EdgeException($"preprocess size {Height}x{Width} is out of range (1..4096)");
        if (Channels == 1 && Color == ColorMode.Rgb)
            throw new EdgeException("preprocess.color is rgb but preprocess.channels is 1: an RGB model takes 3 channels (use color gray, or channels 3)");
        if (Mean.Length != Channels || Std.Length != Channels)
            throw new EdgeException($"preprocess.mean and preprocess.std need {Channels} value(s) each, got {Mean.Length} and {Std.Length}");
        if (Std.Any(s => !(s > 0) || float.IsInfinity(s)))
            throw new EdgeException("preprocess.std values must be positive");
        if (Mean.Any(m => !float.IsFinite(m)))
            throw new EdgeException("preprocess.mean values must be finite");
        if (!(CropFraction > 0 && CropFraction <= 1))
            throw new EdgeException($"preprocess.crop_fraction must be in (0, 1], got {CropFraction}");
    }

    /// <summary>Value equality over the arrays too (records compare arrays by reference).</summary>
    public bool SameAs(PreprocessSpec other) =>
        Channels == other.Channels && Height == other.Height && Width == other.Width && EffectiveColor == other.EffectiveColor
        && Resize == other.Resize && CropFraction == other.CropFraction && Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std);

    public override string ToString() =>
        $"{Channels}x{Height}x{Width}{(Channels == 3 && EffectiveColor == ColorMode.Gray ? " gray→rgb" : "")} {Resize.ToString().ToLowerInvariant()} crop {CropFraction:0.###} mean [{string.Join(", ", Mean)}] std [{string.Join(", ", Std)}]";
}
