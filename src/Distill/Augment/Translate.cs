namespace Edge.Distill.Augment;

/// <summary>
/// Integer translation by up to ±<c>maxShift</c> pixels on each axis (dx drawn before dy, as
/// <see cref="FlipTranslate"/> does, so flip + translate replays the original pipeline bit for bit); uncovered
/// pixels become black.
/// </summary>
public sealed class Translate(int maxShift) : ISampleAugment
{
    public string Term => $"translate={maxShift}";

    public void Apply(Span<float> image, ImageLayout layout, ref AugmentState state)
    {
        if (maxShift <= 0) return;
        int dx = state.Rng.NextInt(-maxShift, maxShift);
        int dy = state.Rng.NextInt(-maxShift, maxShift);
        if (dx == 0 && dy == 0) return;
        Shift(image, layout, dx, dy);
    }

    public static void Shift(Span<float> image, ImageLayout layout, int dx, int dy)
    {
        int h = layout.Height, w = layout.Width, plane = layout.Plane;
        var src = image.ToArray();
        for (int c = 0; c < layout.Channels; c++)
        {
            float fill = ImageLayout.Background;
            for (int y = 0; y < h; y++)
            {
                int sy = y - dy;
                var row = image.Slice(c * plane + y * w, w);
                if ((uint)sy >= (uint)h) { row.Fill(fill); continue; }
                for (int x = 0; x < w; x++)
                {
                    int sx = x - dx;
                    row[x] = (uint)sx >= (uint)w ? fill : src[c * plane + sy * w + sx];
                }
            }
        }
    }
}
