namespace Edge.Distill.Augment;

/// <summary>
/// A built augmentation config: the per-sample ops, run in order from one generator seeded by the sample's seed,
/// and an optional batch mixer. <see cref="ApplySample"/> is pure (same seed, same output) and thread-safe.
/// </summary>
public sealed class AugmentPipeline(ImageLayout layout, IReadOnlyList<ISampleAugment> ops, BatchMixer? mixer)
{
    public ImageLayout Layout => layout;
    public IReadOnlyList<ISampleAugment> Ops => ops;
    public BatchMixer? Mixer => mixer;

    /// <summary>Writes the augmented copy of <paramref name="source"/> to <paramref name="destination"/>; returns
    /// whether it ended up mirrored (the trainer's two-view teacher cache needs to know).</summary>
    public bool ApplySample(ReadOnlySpan<float> source, Span<float> destination, int sampleSeed)
    {
        source.CopyTo(destination);
        var state = new AugmentState(sampleSeed);
        foreach (var op in ops) op.Apply(destination, layout, ref state);
        return state.Flipped;
    }

    public override string ToString() =>
        string.Join(",", ops.Select(o => o.Term).Concat(mixer is null ? [] : [
            .. mixer.MixupAlpha > 0 ? [$"mixup={mixer.MixupAlpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}"] : Array.Empty<string>(),
            .. mixer.CutmixAlpha > 0 ? [$"cutmix={mixer.CutmixAlpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}"] : Array.Empty<string>()]));
}
