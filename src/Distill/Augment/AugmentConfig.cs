using System.Globalization;
using Edge.Core;

namespace Edge.Distill.Augment;

/// <summary>One term of an augmentation config: <c>translate=3</c> is ("translate", "3"), <c>flip</c> is ("flip", null).</summary>
public sealed record AugmentTerm(string Name, string? Argument)
{
    public override string ToString() => Argument is null ? Name : $"{Name}={Argument}";
}

/// <summary>
/// The training augmentation as an ordered list of registered terms, parsed from
/// <c>flip,translate=3,rrc=0.6,jitter=0.2,randaug=2x9,erase=0.25,mixup=0.8,cutmix=1.0</c> (or <c>none</c>).
/// Per-sample terms run in the order given; mixup/cutmix run on the whole batch afterwards.
/// </summary>
public sealed record AugmentConfig(IReadOnlyList<AugmentTerm> Terms)
{
    /// <summary>The reference pipeline's flip + ±3 px translation: what every run used before this config existed.</summary>
    public static AugmentConfig Default { get; } = Parse("flip,translate=3");

    public static AugmentConfig None { get; } = new([]);

    /// <summary>The config equivalent to the older Flip/MaxShift options.</summary>
    public static AugmentConfig FromFlipShift(bool flip, int maxShift) =>
        new([.. (flip ? [new AugmentTerm("flip", null)] : Array.Empty<AugmentTerm>()), .. (maxShift > 0 ? [new AugmentTerm("translate", maxShift.ToString(CultureInfo.InvariantCulture))] : Array.Empty<AugmentTerm>())]);

    public static AugmentConfig Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == "none") return None;
        var terms = new List<AugmentTerm>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            string name = kv[0].ToLowerInvariant();
            if (!AugmentRegistry.Contains(name))
                throw new EdgeException($"--augment: unknown augmentation '{kv[0]}'; known: {string.Join(", ", AugmentRegistry.Usages)}");
            if (terms.Any(t => t.Name == name))
                throw new EdgeException($"--augment: '{name}' is given twice in '{text}'");
            terms.Add(new AugmentTerm(name, kv.Length == 2 ? kv[1] : null));
        }
        var config = new AugmentConfig(terms);
        AugmentRegistry.Build(config); // validates every argument now, naming the bad one
        return config;
    }

    /// <summary>The per-sample part: what a teacher cache records and replays from each sample's seed.</summary>
    public AugmentConfig SampleTerms => new([.. Terms.Where(t => !AugmentRegistry.IsBatchLevel(t.Name))]);

    public bool HasBatchTerms => Terms.Any(t => AugmentRegistry.IsBatchLevel(t.Name));

    public override string ToString() => Terms.Count == 0 ? "none" : string.Join(",", Terms);

    public bool SameAs(AugmentConfig other) => ToString() == other.ToString();
}
