namespace Edge.Distill.Augment;

/// <summary>
/// Brightness, contrast and saturation jitter (factors uniform in [1 − s, 1 + s]), applied in that fixed order to
/// the raw [0, 1] pixel values of the canvas, so the factors mean what they mean on images and black stays black
/// under brightness. Saturation blends with the luma image, so on one channel it is a
/// no-op; hue is not offered (meaningless for gray data, and costly in HSV for colour).
/// </summary>
public sealed class ColorJitter(double strength) : ISampleAugment
{
    public string Term => $"jitter={strength.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public void Apply(Span<float> image, ImageLayout layout, ref AugmentState state)
    {
        float Factor(ref SeededRng rng) => (float)Math.Max(0, 1 - strength + 2 * strength * rng.NextDouble());
        float brightness = Factor(ref state.Rng), contrast = Factor(ref state.Rng), saturation = Factor(ref state.Rng);
        Blend(image, brightness, 0f);
        Clamp(image);
        Blend(image, contrast, Luma(image, layout).Average());
        Clamp(image);
        if (layout.Channels == 3)
        {
            var gray = Luma(image, layout);
            for (int c = 0; c < 3; c++)
            {
                var p = image.Slice(c * layout.Plane, layout.Plane);
                for (int i = 0; i < p.Length; i++) p[i] = gray[i] + saturation * (p[i] - gray[i]);
            }
        }
    }

    public static void Blend(Span<float> raw, float factor, float degenerate)
    {
        foreach (ref float v in raw) v = degenerate + factor * (v - degenerate);
    }

    public static void Clamp(Span<float> raw) => ImageLayout.Clamp(raw);

    /// <summary>ITU-R 601 luma per pixel (the single plane itself for gray images).</summary>
    public static float[] Luma(ReadOnlySpan<float> raw, ImageLayout layout)
    {
        int plane = layout.Plane;
        if (layout.Channels == 1) return raw[..plane].ToArray();
        var gray = new float[plane];
        for (int i = 0; i < plane; i++) gray[i] = 0.299f * raw[i] + 0.587f * raw[plane + i] + 0.114f * raw[2 * plane + i];
        return gray;
    }
}
