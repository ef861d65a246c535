using Edge.Core.Preprocessing;

namespace Edge.Distill.Augment;

/// <summary>
/// Shape and normalisation of the preprocessed CHW tensors being augmented. Photometric ops work on raw pixel
/// values in [0, 1] (x · std + mean), so they need the normalisation to undo and redo it exactly.
/// </summary>
public sealed record ImageLayout(int Channels, int Height, int Width, float[] Mean, float[] Std)
{
    public int Plane => Height * Width;
    public int Length => Channels * Height * Width;

    /// <summary>The normalised value of a black pixel: what uncovered pixels are filled with.</summary>
    public float Background(int c) => -Mean[c] / Std[c];

    public float[] Backgrounds => [.. Enumerable.Range(0, Channels).Select(Background)];

    public static ImageLayout From(PreprocessSpec spec) => new(spec.Channels, spec.Height, spec.Width, spec.Mean, spec.Std);

    /// <summary>Normalised → raw [0, 1] values, in place.</summary>
    public void ToRaw(Span<float> image)
    {
        for (int c = 0; c < Channels; c++)
            foreach (ref float v in image.Slice(c * Plane, Plane)) v = v * Std[c] + Mean[c];
    }

    /// <summary>Raw values → normalised, clamping to [0, 1] first as torchvision does for float images.</summary>
    public void FromRaw(Span<float> image)
    {
        for (int c = 0; c < Channels; c++)
            foreach (ref float v in image.Slice(c * Plane, Plane)) v = (Math.Clamp(v, 0f, 1f) - Mean[c]) / Std[c];
    }
}
