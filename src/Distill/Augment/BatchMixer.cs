namespace Edge.Distill.Augment;

/// <summary>What <see cref="BatchMixer"/> chose for one batch: the weight of each sample's own image and, for CutMix,
/// the pasted box (its partner's pixels inside it), in pixels of the view it was planned on (RefHeight × RefWidth: the
/// student's); another model's view of the same batch gets the box scaled to its own size. Sample i is always mixed
/// with sample n − 1 − i (timm's flip pairing).</summary>
public sealed record MixPlan(double Lambda, bool CutMix, int Top = 0, int Left = 0, int BoxHeight = 0, int BoxWidth = 0, int RefHeight = 1, int RefWidth = 1)
{
    /// <summary>The box in a view of <paramref name="height"/> × <paramref name="width"/> pixels.</summary>
    public (int Top, int Left, int Height, int Width) BoxIn(int height, int width)
    {
        if (height == RefHeight && width == RefWidth) return (Top, Left, BoxHeight, BoxWidth);
        int top = Top * height / RefHeight, left = Left * width / RefWidth;
        int bottom = (Top + BoxHeight) * height / RefHeight, right = (Left + BoxWidth) * width / RefWidth;
        return (top, left, bottom - top, right - left);
    }
}

/// <summary>
/// Mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019) at batch level, as timm does them: one λ ~ Beta(α, α) per
/// batch, Mixup and CutMix alternating with probability 1/2 when both are on, CutMix's λ corrected to the box's
/// true area. Seeded by the batch's per-sample seeds, so a batch replays exactly when its samples do. Labels and
/// teacher probabilities are mixed with the same λ (<see cref="MixRows"/>): for a cached teacher that is the mix
/// of its outputs on the two images, a linear stand-in for its output on the mixed image.
/// </summary>
public sealed class BatchMixer(double mixupAlpha, double cutmixAlpha)
{
    public double MixupAlpha => mixupAlpha;
    public double CutmixAlpha => cutmixAlpha;

    public static ulong BatchSeed(ReadOnlySpan<int> sampleSeeds)
    {
        ulong h = 0x6D69787570UL; // "mixup"
        foreach (int s in sampleSeeds) h = new SeededRng(h ^ (uint)s).NextUInt64();
        return h;
    }

    public MixPlan Plan(ReadOnlySpan<int> sampleSeeds, int height, int width)
    {
        var rng = new SeededRng(BatchSeed(sampleSeeds));
        bool cut = cutmixAlpha > 0 && (mixupAlpha <= 0 || rng.NextBool());
        double lambda = rng.NextBeta(cut ? cutmixAlpha : mixupAlpha);
        if (!cut) return new MixPlan(lambda, false, RefHeight: height, RefWidth: width);
        double ratio = Math.Sqrt(1 - lambda);
        int ch = (int)(height * ratio), cw = (int)(width * ratio);
        int cy = rng.NextInt(0, height - 1), cx = rng.NextInt(0, width - 1);
        int top = Math.Clamp(cy - ch / 2, 0, height), bottom = Math.Clamp(cy + ch / 2, 0, height);
        int left = Math.Clamp(cx - cw / 2, 0, width), right = Math.Clamp(cx + cw / 2, 0, width);
        double area = (bottom - top) * (double)(right - left);
        return new MixPlan(1 - area / (height * width), true, top, left, bottom - top, right - left, height, width);
    }

    /// <summary>Mixes the n images of <paramref name="inputs"/> ([n, C, H, W], one model's view) in place.</summary>
    public static void MixInputs(float[] inputs, int n, ImageLayout layout, MixPlan plan)
    {
        int len = layout.Length;
        var (top, left, boxH, boxW) = plan.BoxIn(layout.Height, layout.Width);
        var original = (float[])inputs.Clone();
        for (int i = 0; i < n; i++)
        {
            var dst = inputs.AsSpan(i * len, len);
            var other = original.AsSpan((n - 1 - i) * len, len);
            if (!plan.CutMix)
            {
                float l = (float)plan.Lambda;
                for (int k = 0; k < len; k++) dst[k] = l * dst[k] + (1 - l) * other[k];
                continue;
            }
            for (int c = 0; c < layout.Channels; c++)
                for (int y = top; y < top + boxH; y++)
                {
                    int o = c * layout.Plane + y * layout.Width + left;
                    other.Slice(o, boxW).CopyTo(dst.Slice(o, boxW));
                }
        }
    }

    /// <summary>Row i ← λ·row i + (1 − λ)·row n − 1 − i, for [n, width] targets (one-hot labels, probabilities).</summary>
    public static void MixRows(float[] rows, int n, int width, double lambda)
    {
        var original = (float[])rows.Clone();
        float l = (float)lambda;
        for (int i = 0; i < n; i++)
            for (int k = 0; k < width; k++)
                rows[i * width + k] = l * original[i * width + k] + (1 - l) * original[(n - 1 - i) * width + k];
    }
}
