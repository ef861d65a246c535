using System.Globalization;
using Edge.Core;

namespace Edge.Distill.Augment;

/// <summary>
/// Augmentations by config name. A per-sample entry builds an <see cref="ISampleAugment"/> from its argument; a
/// batch-level entry (mixup, cutmix) gives a Beta α for the one <see cref="BatchMixer"/>. Adding an augmentation is
/// one file and one line here.
/// </summary>
public static class AugmentRegistry
{
    private sealed record Entry(string Usage, Func<string?, ISampleAugment>? Sample, Func<string?, double>? BatchAlpha);

    private static readonly Dictionary<string, Entry> Entries = new()
    {
        ["flip"] = new("flip[=p]", a => new HorizontalFlip(Number("flip", a, 0.5, 0, 1)), null),
        ["translate"] = new("translate=pixels", a => new Translate(Integer("translate", a, 3, 0, 64)), null),
        ["rrc"] = new("rrc=min-scale", a => new RandomResizedCrop(Number("rrc", a, 0.08, 0.01, 1)), null),
        ["jitter"] = new("jitter=strength", a => new ColorJitter(Number("jitter", a, 0.4, 0, 1)), null),
        ["randaug"] = new("randaug=NxM", RandAug, null),
        ["erase"] = new("erase=p", a => new RandomErasing(Number("erase", a, 0.25, 0, 1)), null),
        ["mixup"] = new("mixup=alpha", null, a => Number("mixup", a, 0.8, 0, 100)),
        ["cutmix"] = new("cutmix=alpha", null, a => Number("cutmix", a, 1.0, 0, 100)),
    };

    public static IReadOnlyList<string> Usages => [.. Entries.Values.Select(e => e.Usage)];

    public static bool Contains(string name) => Entries.ContainsKey(name);

    public static bool IsBatchLevel(string name) => Entries.TryGetValue(name, out var e) && e.BatchAlpha is not null;

    public static AugmentPipeline Build(AugmentConfig config)
    {
        var ops = new List<ISampleAugment>();
        double mixup = 0, cutmix = 0;
        foreach (var term in config.Terms)
        {
            if (!Entries.TryGetValue(term.Name, out var e))
                throw new EdgeException($"--augment: unknown augmentation '{term.Name}'; known: {string.Join(", ", Usages)}");
            if (e.Sample is not null) ops.Add(e.Sample(term.Argument));
            else if (term.Name == "mixup") mixup = e.BatchAlpha!(term.Argument);
            else cutmix = e.BatchAlpha!(term.Argument);
        }
        return new AugmentPipeline(ops, mixup > 0 || cutmix > 0 ? new BatchMixer(mixup, cutmix) : null);
    }

    private static RandAugment RandAug(string? a)
    {
        var parts = (a ?? "2x9").Split('x');
        if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out int n) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out int m)
            || n < 0 || n > 10 || m < 0 || m > 10)
            throw new EdgeException($"--augment randaug={a}: expected NxM with N ops in 0..10 and magnitude M in 0..10, e.g. randaug=2x9");
        return new RandAugment(n, m);
    }

    private static double Number(string name, string? a, double fallback, double min, double max)
    {
        if (a is null) return fallback;
        if (!double.TryParse(a, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v >= min && v <= max))
            throw new EdgeException($"--augment {name}={a}: expected a number in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]");
        return v;
    }

    private static int Integer(string name, string? a, int fallback, int min, int max)
    {
        if (a is null) return fallback;
        if (!int.TryParse(a, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            throw new EdgeException($"--augment {name}={a}: expected an integer in [{min}, {max}]");
        return v;
    }
}
