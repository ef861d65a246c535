namespace Edge.Distill.Augment;

/// <summary>
/// RandAugment (Cubuk et al. 2020): N ops drawn uniformly (with replacement) from <see cref="RandAugmentOps"/>,
/// each at magnitude M/10, signed ops negated with probability 1/2. Runs on the canvas's raw pixel values, clamped
/// to [0, 1] after each op. Config: <c>randaug=2x9</c>.
/// </summary>
public sealed class RandAugment(int ops, int magnitude) : ISampleAugment
{
    private static readonly RandAugmentOps.Entry[] Table = [.. RandAugmentOps.Names.Select(n => RandAugmentOps.Registry[n])];

    public string Term => $"randaug={ops}x{magnitude}";

    public void Apply(Span<float> image, ImageLayout layout, ref AugmentState state)
    {
        if (ops <= 0) return;
        for (int i = 0; i < ops; i++)
        {
            var entry = Table[state.Rng.NextInt(0, Table.Length - 1)];
            double level = magnitude / 10.0;
            if (entry.Signed && state.Rng.NextBool()) level = -level;
            entry.Op(image, layout, level);
            ColorJitter.Clamp(image);
        }
    }
}
