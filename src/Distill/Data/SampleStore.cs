using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Imaging;
using Edge.Core.Progress;

namespace Edge.Distill.Data;

/// <summary>Where the training split's decoded images live.</summary>
public enum DataMemory
{
    /// <summary>In memory when the decoded split fits the memory budget, else streamed.</summary>
    Auto,
    /// <summary>Decoded once and held in memory (8-bit pixels, the image's own size and channels).</summary>
    Memory,
    /// <summary>Decoded again every epoch by parallel workers; only the batches in flight are held.</summary>
    Stream,
}

/// <summary>
/// The images of one split (a subset of a dataset, by index) as the trainer reads them: decoded 8-bit pixels held in
/// memory (Fashion-MNIST train: 60k × 784 bytes = 47 MB), or decoded on demand from the dataset (an image folder of
/// 224 px JPEGs would need 9 GB decoded). Either way the sample is the same bytes, so a run gives the same batches
/// streamed or in memory. Thread-safe.
/// </summary>
public sealed class SampleStore
{
    private readonly IImageDataset _dataset;
    private readonly int[] _indices;
    private readonly int[] _labels;
    private readonly RawImage[]? _held;

    private SampleStore(IImageDataset dataset, int[] indices, int[] labels, RawImage[]? held, long estimatedBytes)
    {
        _dataset = dataset; _indices = indices; _labels = labels; _held = held; EstimatedBytes = estimatedBytes;
    }

    public int Count => _indices.Length;
    public bool InMemory => _held is not null;
    /// <summary>Decoded bytes of the whole split (measured when held, estimated from a sample when streamed).</summary>
    public long EstimatedBytes { get; }
    public string Description => _dataset.Description;
    public IReadOnlyList<string> ClassNames => _dataset.ClassNames;

    /// <summary>Index of sample <paramref name="i"/> in the dataset it came from (what caches and seeds are keyed by).</summary>
    public int SourceIndex(int i) => _indices[i];

    /// <summary>The dataset's class index of sample <paramref name="i"/>.</summary>
    public int Label(int i) => _labels[i];

    public RawImage Image(int i) => _held is not null ? _held[i] : _dataset.GetImage(_indices[i]);

    /// <summary>A fresh canvas of sample <paramref name="i"/> (the caller may augment it in place).</summary>
    public Canvas Canvas(int i) => Edge.Core.Imaging.Canvas.From(Image(i));

    /// <param name="budgetBytes">Largest decoded split held in memory under <see cref="DataMemory.Auto"/>.</param>
    public static SampleStore Open(IImageDataset dataset, IReadOnlyList<int> indices, DataMemory mode, long budgetBytes, int workers,
        IProgressHost progress, string title, CancellationToken cancel = default)
    {
        var idx = indices.ToArray();
        var labels = new int[idx.Length];
        for (int i = 0; i < idx.Length; i++) labels[i] = dataset.GetLabel(idx[i]);
        long estimate = Estimate(dataset, idx);
        bool hold = mode switch
        {
            DataMemory.Memory => true,
            DataMemory.Stream => false,
            _ => estimate <= budgetBytes,
        };
        if (!hold) return new SampleStore(dataset, idx, labels, null, estimate);

        var held = new RawImage[idx.Length];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = cancel };
        using (var bar = progress.Begin(title, idx.Length, "img"))
        {
            const int chunk = 4096;
            for (int start = 0; start < idx.Length; start += chunk)
            {
                int end = Math.Min(idx.Length, start + chunk);
                Parallel.For(start, end, options, i => held[i] = dataset.GetImage(idx[i]));
                bar.Report(end, idx.Length);
            }
        }
        long bytes = held.Sum(r => (long)r.Pixels.Length);
        return new SampleStore(dataset, idx, labels, held, bytes);
    }

    /// <summary>Decoded size of the split from up to 32 evenly spaced images (image folders differ in size).</summary>
    private static long Estimate(IImageDataset dataset, int[] idx)
    {
        if (idx.Length == 0) return 0;
        int probes = Math.Min(32, idx.Length);
        long sum = 0;
        for (int p = 0; p < probes; p++) sum += dataset.GetImage(idx[(int)((long)p * idx.Length / probes)]).Pixels.Length;
        return sum * idx.Length / probes;
    }

    /// <summary>"2g", "512m", "1.5GB", or a plain number of megabytes.</summary>
    public static long ParseBytes(string text)
    {
        string t = text.Trim().ToLowerInvariant().TrimEnd('b');
        double factor = 1 << 20;
        if (t.EndsWith('g')) { factor = 1L << 30; t = t[..^1]; }
        else if (t.EndsWith('m')) { t = t[..^1]; }
        else if (t.EndsWith('k')) { factor = 1 << 10; t = t[..^1]; }
        if (!double.TryParse(t, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) || !(v > 0))
            throw new EdgeException($"--memory-budget '{text}' is not a size such as 2g or 512m");
        return (long)(v * factor);
    }
}
