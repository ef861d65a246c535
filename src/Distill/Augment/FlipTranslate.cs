namespace Edge.Distill.Augment;

/// <summary>What <see cref="FlipTranslate"/> chose for one sample.</summary>
public readonly record struct FlipShift(bool Flip, int Dx, int Dy);

/// <summary>
/// The reference pipeline's training augmentation on a CHW canvas: random horizontal flip and a random integer
/// translation of up to ±<c>maxShift</c> pixels, uncovered pixels black. Driven entirely by a per-sample seed, so it
/// replays exactly; the pipeline's <c>flip,translate=N</c> draws the same stream (see <see cref="Translate"/>).
/// </summary>
public sealed class FlipTranslate(int channels, int height, int width, bool flip = true, int maxShift = 3)
{
    public int Length => channels * height * width;

    public FlipShift Draw(int sampleSeed)
    {
        var rng = new SeededRng((ulong)(uint)sampleSeed);
        bool f = flip && rng.NextBool();
        int dx = maxShift > 0 ? rng.NextInt(-maxShift, maxShift) : 0;
        int dy = maxShift > 0 ? rng.NextInt(-maxShift, maxShift) : 0;
        return new FlipShift(f, dx, dy);
    }

    /// <summary>Writes the augmented copy of <paramref name="source"/> into <paramref name="destination"/>.</summary>
    public void Apply(ReadOnlySpan<float> source, Span<float> destination, FlipShift a)
    {
        int plane = height * width;
        for (int c = 0; c < channels; c++)
        {
            var src = source.Slice(c * plane, plane);
            var dst = destination.Slice(c * plane, plane);
            float fill = ImageLayout.Background;
            for (int y = 0; y < height; y++)
            {
                int sy = y - a.Dy;
                var row = dst.Slice(y * width, width);
                if ((uint)sy >= (uint)height) { row.Fill(fill); continue; }
                for (int x = 0; x < width; x++)
                {
                    int sx = x - a.Dx;
                    if ((uint)sx >= (uint)width) { row[x] = fill; continue; }
                    if (a.Flip) sx = width - 1 - sx;
                    row[x] = src[sy * width + sx];
                }
            }
        }
    }
}
