using Edge.Core.Imaging;

namespace Edge.Core.Data;

/// <summary>A view of some indices of another dataset (evaluation subsets, calibration sets, splits).</summary>
public sealed class DatasetSubset(IImageDataset inner, int[] indices, string? description = null) : IImageDataset
{
    public IImageDataset Inner => inner;
    public IReadOnlyList<int> Indices => indices;
    public string Description { get; } = description ?? $"{inner.Description} [{indices.Length} of {inner.Count}]";
    public int Count => indices.Length;
    public IReadOnlyList<string> ClassNames => inner.ClassNames;
    public RawImage GetImage(int index) => inner.GetImage(indices[index]);
    public int GetLabel(int index) => inner.GetLabel(indices[index]);
    public void Dispose() { }

    /// <summary>The first <paramref name="count"/> items of a seeded permutation.</summary>
    public static DatasetSubset Random(IImageDataset inner, int count, int seed)
    {
        var order = Enumerable.Range(0, inner.Count).ToArray();
        new Random(seed).Shuffle(order);
        return new DatasetSubset(inner, order[..Math.Min(count, order.Length)], $"{inner.Description} [random {Math.Min(count, order.Length)}, seed {seed}]");
    }

    /// <summary>The first <paramref name="count"/> items in order (deterministic, cheap).</summary>
    public static IImageDataset Head(IImageDataset inner, int count) =>
        count >= inner.Count ? inner : new DatasetSubset(inner, Enumerable.Range(0, count).ToArray(), $"{inner.Description} [first {count}]");
}
