namespace Edge.Distill.Augment;

/// <summary>
/// One RandAugment operation on a raw [0, 1] CHW image. <c>level</c> is the magnitude M/10 in [0, 1]; signed
/// ops have already been given a random sign by <see cref="RandAugment"/>.
/// </summary>
public delegate void RandAugmentOp(Span<float> raw, ImageLayout layout, double level);

/// <summary>
/// The operations RandAugment picks from (timm's rand_augment list and magnitude ranges: rotate ±30°, shear ±0.3,
/// translate ±45% of the size, enhance factors 1 ± 0.9, posterize down to 4 bits, solarize threshold 1 − level).
/// A registry, so an op is one line here and its implementation; Color is a no-op on gray images.
/// </summary>
public static class RandAugmentOps
{
    public sealed record Entry(RandAugmentOp Op, bool Signed);

    public static readonly IReadOnlyDictionary<string, Entry> Registry = new Dictionary<string, Entry>
    {
        ["Identity"] = new((_, _, _) => { }, false),
        ["AutoContrast"] = new((r, l, _) => AutoContrast(r, l), false),
        ["Equalize"] = new((r, l, _) => Equalize(r, l), false),
        ["Invert"] = new((r, _, _) => { foreach (ref float v in r) v = 1 - v; }, false),
        ["Rotate"] = new((r, l, m) => Affine(r, l, Rotation(m * 30 * Math.PI / 180, l)), true),
        ["ShearX"] = new((r, l, m) => Affine(r, l, Shear(m * 0.3, 0, l)), true),
        ["ShearY"] = new((r, l, m) => Affine(r, l, Shear(0, m * 0.3, l)), true),
        ["TranslateX"] = new((r, l, m) => Affine(r, l, [1, 0, -m * 0.45 * l.Width, 0, 1, 0]), true),
        ["TranslateY"] = new((r, l, m) => Affine(r, l, [1, 0, 0, 0, 1, -m * 0.45 * l.Height]), true),
        ["Posterize"] = new((r, _, m) => Posterize(r, 8 - (int)(4 * Math.Abs(m))), false),
        ["Solarize"] = new((r, _, m) => { float t = (float)(1 - Math.Abs(m)); foreach (ref float v in r) if (v >= t) v = 1 - v; }, false),
        ["Brightness"] = new((r, _, m) => ColorJitter.Blend(r, (float)(1 + 0.9 * m), 0f), true),
        ["Contrast"] = new((r, l, m) => ColorJitter.Blend(r, (float)(1 + 0.9 * m), ColorJitter.Luma(r, l).Average()), true),
        ["Color"] = new((r, l, m) => Saturate(r, l, (float)(1 + 0.9 * m)), true),
        ["Sharpness"] = new((r, l, m) => Sharpness(r, l, (float)(1 + 0.9 * m)), true),
    };

    public static IReadOnlyList<string> Names { get; } = [.. Registry.Keys];

    /// <summary>Inverse map (output pixel → source pixel) as [a, b, c, d, e, f]: sx = a·x + b·y + c, sy = d·x + e·y + f
    /// in pixel-centre coordinates about the image centre; bilinear sampling, black outside.</summary>
    private static void Affine(Span<float> raw, ImageLayout l, double[] m)
    {
        var src = raw.ToArray();
        int h = l.Height, w = l.Width;
        double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double ux = x - cx, uy = y - cy;
                double sx = m[0] * ux + m[1] * uy + m[2] + cx, sy = m[3] * ux + m[4] * uy + m[5] + cy;
                int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                float wx = (float)(sx - x0), wy = (float)(sy - y0);
                for (int c = 0; c < l.Channels; c++)
                {
                    int b = c * l.Plane;
                    float At(int yy, int xx) => (uint)yy < (uint)h && (uint)xx < (uint)w ? src[b + yy * w + xx] : 0f;
                    float t = At(y0, x0) + (At(y0, x0 + 1) - At(y0, x0)) * wx;
                    float u = At(y0 + 1, x0) + (At(y0 + 1, x0 + 1) - At(y0 + 1, x0)) * wx;
                    raw[b + y * w + x] = t + (u - t) * wy;
                }
            }
    }

    private static double[] Rotation(double angle, ImageLayout _) =>
        [Math.Cos(angle), Math.Sin(angle), 0, -Math.Sin(angle), Math.Cos(angle), 0];

    private static double[] Shear(double sx, double sy, ImageLayout _) => [1, sx, 0, sy, 1, 0];

    private static void AutoContrast(Span<float> raw, ImageLayout l)
    {
        for (int c = 0; c < l.Channels; c++)
        {
            var p = raw.Slice(c * l.Plane, l.Plane);
            float lo = float.MaxValue, hi = float.MinValue;
            foreach (float v in p) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
            if (hi - lo < 1e-6f) continue;
            foreach (ref float v in p) v = (v - lo) / (hi - lo);
        }
    }

    /// <summary>Per-channel histogram equalisation over 256 levels (PIL's ImageOps.equalize).</summary>
    private static void Equalize(Span<float> raw, ImageLayout l)
    {
        for (int c = 0; c < l.Channels; c++)
        {
            var p = raw.Slice(c * l.Plane, l.Plane);
            var hist = new int[256];
            foreach (float v in p) hist[Level(v)]++;
            int last = 255;
            while (last > 0 && hist[last] == 0) last--;
            int step = (p.Length - hist[last]) / 255;
            if (step == 0) continue;
            var lut = new float[256];
            int n = step / 2;
            for (int i = 0; i < 256; i++) { lut[i] = Math.Min(255, n / step) / 255f; n += hist[i]; }
            foreach (ref float v in p) v = lut[Level(v)];
        }
    }

    private static int Level(float v) => Math.Clamp((int)MathF.Round(v * 255), 0, 255);

    private static void Posterize(Span<float> raw, int bits)
    {
        int mask = ~((1 << (8 - Math.Clamp(bits, 1, 8))) - 1) & 0xFF;
        foreach (ref float v in raw) v = (Level(v) & mask) / 255f;
    }

    private static void Saturate(Span<float> raw, ImageLayout l, float factor)
    {
        if (l.Channels != 3) return;
        var gray = ColorJitter.Luma(raw, l);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < l.Plane; i++) raw[c * l.Plane + i] = gray[i] + factor * (raw[c * l.Plane + i] - gray[i]);
    }

    /// <summary>PIL's Sharpness: blend with the 3x3 smoothed image (kernel 1,1,1 / 1,5,1 / 1,1,1 over 13), border kept.</summary>
    private static void Sharpness(Span<float> raw, ImageLayout l, float factor)
    {
        int h = l.Height, w = l.Width;
        var src = raw.ToArray();
        for (int c = 0; c < l.Channels; c++)
            for (int y = 1; y < h - 1; y++)
                for (int x = 1; x < w - 1; x++)
                {
                    int b = c * l.Plane;
                    float s = 4 * src[b + y * w + x];
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++) s += src[b + (y + dy) * w + x + dx];
                    s /= 13;
                    raw[b + y * w + x] = s + factor * (src[b + y * w + x] - s);
                }
    }
}
