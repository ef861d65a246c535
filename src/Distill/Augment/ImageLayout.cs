using Edge.Core.Imaging;

namespace Edge.Distill.Augment;

/// <summary>
/// Shape of the raw CHW image being augmented: a <see cref="Canvas"/> (values in [0, 1], the image's own channels and
/// size), before any model's preprocessing. Augmenting here, not on a model's normalised tensor, is what lets one
/// augmented sample feed a teacher and a student of different sizes, channels and normalisations.
/// </summary>
public sealed record ImageLayout(int Channels, int Height, int Width)
{
    public int Plane => Height * Width;
    public int Length => Channels * Height * Width;

    /// <summary>The value of a black pixel: what uncovered pixels are filled with.</summary>
    public static float Background => 0f;

    public static ImageLayout Of(Canvas canvas) => new(canvas.Channels, canvas.Height, canvas.Width);

    /// <summary>Clamps to [0, 1], as torchvision does for float images after a photometric op.</summary>
    public static void Clamp(Span<float> image)
    {
        foreach (ref float v in image) v = Math.Clamp(v, 0f, 1f);
    }
}
