namespace Edge.Distill.Augment;

/// <summary>
/// The state one sample's augmentation threads through the pipeline: a single generator seeded by the sample's
/// seed (every op draws from it in pipeline order, so the whole chain replays from one int32), and what the
/// ops chose that later stages need (whether the image ended up mirrored).
/// </summary>
public struct AugmentState(int sampleSeed)
{
    public SeededRng Rng = new((ulong)(uint)sampleSeed);
    public bool Flipped;
}

/// <summary>One per-sample augmentation on a raw [0, 1] CHW canvas, applied in place.</summary>
public interface ISampleAugment
{
    /// <summary>The config term that builds it again, e.g. <c>translate=3</c>.</summary>
    string Term { get; }

    void Apply(Span<float> image, ImageLayout layout, ref AugmentState state);
}
