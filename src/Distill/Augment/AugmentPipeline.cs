using Edge.Core.Imaging;

namespace Edge.Distill.Augment;

/// <summary>
/// A built augmentation config: the per-sample ops, run in order on a sample's <see cref="Canvas"/> from one
/// generator seeded by the sample's seed (every op draws from it in pipeline order, so the whole chain replays from
/// one int32), and an optional batch mixer applied later to each model's view. <see cref="ApplySample"/> is pure
/// (same canvas and seed, same output) and thread-safe.
/// </summary>
public sealed class AugmentPipeline(IReadOnlyList<ISampleAugment> ops, BatchMixer? mixer)
{
    public IReadOnlyList<ISampleAugment> Ops => ops;
    public BatchMixer? Mixer => mixer;

    /// <summary>Augments <paramref name="canvas"/> in place; returns whether it ended up mirrored (the trainer's
    /// two-view teacher cache needs to know).</summary>
    public bool ApplySample(Canvas canvas, int sampleSeed)
    {
        var state = new AugmentState(sampleSeed);
        var layout = ImageLayout.Of(canvas);
        var image = canvas.Data.AsSpan(0, canvas.Length);
        foreach (var op in ops) op.Apply(image, layout, ref state);
        return state.Flipped;
    }

    public override string ToString() =>
        string.Join(",", ops.Select(o => o.Term).Concat(mixer is null ? [] : [
            .. mixer.MixupAlpha > 0 ? [$"mixup={mixer.MixupAlpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}"] : Array.Empty<string>(),
            .. mixer.CutmixAlpha > 0 ? [$"cutmix={mixer.CutmixAlpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}"] : Array.Empty<string>()]));
}
