namespace Edge.Core.Data;

/// <summary>A seeded, per-class (stratified) split of one pool of images into train and held-out parts.</summary>
public static class Holdout
{
    /// <param name="holdout">True: the held-out part (round(fraction · n) images of each class, at least one when the
    /// class has two or more); false: the rest.</param>
    public static DatasetSubset Split(IImageDataset pool, double fraction, int seed, bool holdout, string description)
    {
        var byClass = Enumerable.Range(0, pool.Count).GroupBy(pool.GetLabel).OrderBy(g => g.Key);
        var chosen = new List<int>();
        foreach (var group in byClass)
        {
            var members = group.ToArray();
            new Random(unchecked(seed * 31 + group.Key)).Shuffle(members);
            int held = (int)Math.Round(fraction * members.Length);
            if (held == 0 && members.Length >= 2) held = 1;
            chosen.AddRange(holdout ? members[..held] : members[held..]);
        }
        if (chosen.Count == 0)
            throw new EdgeException($"{description}: the split is empty ({pool.Count} images, fraction {fraction}); use a larger dataset or another --holdout-fraction");
        chosen.Sort();
        return new DatasetSubset(pool, [.. chosen], description);
    }
}
