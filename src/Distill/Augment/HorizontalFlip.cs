namespace Edge.Distill.Augment;

/// <summary>Mirrors the image left-right with probability p (one draw, even when p is 0.5, to keep the stream fixed).</summary>
public sealed class HorizontalFlip(double probability = 0.5) : ISampleAugment
{
    public string Term => probability == 0.5 ? "flip" : $"flip={probability.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public void Apply(Span<float> image, ImageLayout layout, ref AugmentState state)
    {
        if (!state.Rng.NextBool(probability)) return;
        state.Flipped = !state.Flipped;
        int w = layout.Width;
        for (int row = 0; row < layout.Channels * layout.Height; row++)
            image.Slice(row * w, w).Reverse();
    }
}
