namespace Edge.Distill.Augment;

/// <summary>
/// Random erasing (Zhong et al. 2020; timm's "pixel" mode): with probability p, a rectangle covering 2-33% of the
/// area with aspect ratio log-uniform in [0.3, 3.3] is replaced by per-pixel noise. timm draws N(0, 1) in a model's
/// normalised space; the canvas is model-independent, so the noise is uniform in [0, 1] raw pixel values (the same
/// support as the image, whatever each model's normalisation then makes of it).
/// </summary>
public sealed class RandomErasing(double probability) : ISampleAugment
{
    public string Term => $"erase={probability.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public void Apply(Span<float> image, ImageLayout layout, ref AugmentState state)
    {
        if (!state.Rng.NextBool(probability)) return;
        int H = layout.Height, W = layout.Width;
        double logLo = Math.Log(0.3), logHi = Math.Log(1 / 0.3);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double area = H * W * (0.02 + (1 / 3.0 - 0.02) * state.Rng.NextDouble());
            double ratio = Math.Exp(logLo + (logHi - logLo) * state.Rng.NextDouble());
            int h = (int)Math.Round(Math.Sqrt(area * ratio)), w = (int)Math.Round(Math.Sqrt(area / ratio));
            if (h < 1 || w < 1 || h >= H || w >= W) continue;
            int top = state.Rng.NextInt(0, H - h), left = state.Rng.NextInt(0, W - w);
            for (int c = 0; c < layout.Channels; c++)
                for (int y = top; y < top + h; y++)
                    for (int x = left; x < left + w; x++)
                        image[c * layout.Plane + y * W + x] = (float)state.Rng.NextDouble();
            return;
        }
    }
}
