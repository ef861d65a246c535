namespace Edge.Distill.Augment;

/// <summary>
/// torchvision's RandomResizedCrop on the CHW tensor: a crop covering a random fraction in [minScale, 1] of the
/// area with aspect ratio log-uniform in [3/4, 4/3] (10 tries, then the centre crop of the clamped ratio), resized
/// back to the full size with bilinear sampling (half-pixel centres, edges clamped to the crop, like
/// interpolate(align_corners=False) on the cropped tensor).
/// </summary>
public sealed class RandomResizedCrop(double minScale, double minRatio = 3.0 / 4, double maxRatio = 4.0 / 3) : ISampleAugment
{
    public string Term => $"rrc={minScale.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public void Apply(Span<float> image, ImageLayout layout, ref AugmentState state)
    {
        var (top, left, ch, cw) = Draw(layout.Height, layout.Width, ref state.Rng);
        Resample(image, layout, top, left, ch, cw);
    }

    public (int Top, int Left, int Height, int Width) Draw(int height, int width, ref SeededRng rng)
    {
        double area = height * width;
        double logLo = Math.Log(minRatio), logHi = Math.Log(maxRatio);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (minScale + (1 - minScale) * rng.NextDouble());
            double ratio = Math.Exp(logLo + (logHi - logLo) * rng.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(target * ratio));
            int h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w > 0 && h > 0 && w <= width && h <= height)
                return (rng.NextInt(0, height - h), rng.NextInt(0, width - w), h, w);
        }
        // Fallback (torchvision): the whole image at the nearest allowed ratio, centred.
        double r = (double)width / height;
        int fw = width, fh = height;
        if (r < minRatio) fh = (int)Math.Round(width / minRatio);
        else if (r > maxRatio) fw = (int)Math.Round(height * maxRatio);
        return ((height - fh) / 2, (width - fw) / 2, fh, fw);
    }

    public static void Resample(Span<float> image, ImageLayout layout, int top, int left, int cropH, int cropW)
    {
        int h = layout.Height, w = layout.Width, plane = layout.Plane;
        var src = image.ToArray();
        double sy = (double)cropH / h, sx = (double)cropW / w;
        for (int y = 0; y < h; y++)
        {
            double fy = Math.Clamp((y + 0.5) * sy - 0.5, 0, cropH - 1);
            int y0 = (int)fy, y1 = Math.Min(y0 + 1, cropH - 1);
            float wy = (float)(fy - y0);
            for (int x = 0; x < w; x++)
            {
                double fx = Math.Clamp((x + 0.5) * sx - 0.5, 0, cropW - 1);
                int x0 = (int)fx, x1 = Math.Min(x0 + 1, cropW - 1);
                float wx = (float)(fx - x0);
                for (int c = 0; c < layout.Channels; c++)
                {
                    int b = c * plane;
                    float a00 = src[b + (top + y0) * w + left + x0], a01 = src[b + (top + y0) * w + left + x1];
                    float a10 = src[b + (top + y1) * w + left + x0], a11 = src[b + (top + y1) * w + left + x1];
                    float t = a00 + (a01 - a00) * wx, u = a10 + (a11 - a10) * wx;
                    image[b + y * w + x] = t + (u - t) * wy;
                }
            }
        }
    }
}
