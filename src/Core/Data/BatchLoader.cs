using Edge.Core.Preprocessing;

namespace Edge.Core.Data;

/// <summary>
/// Streams a dataset through the shared <see cref="Preprocessor"/> in batches, decoding and preprocessing each
/// batch in parallel while the consumer works on the previous one. Any dataset order works (pass a shuffled
/// index list for training); the per-image result does not depend on batching or threads.
/// </summary>
public sealed class BatchLoader
{
    private readonly IImageDataset _dataset;
    private readonly Preprocessor _preprocessor;

    public BatchLoader(IImageDataset dataset, Preprocessor preprocessor)
    {
        _dataset = dataset;
        _preprocessor = preprocessor;
    }

    public IEnumerable<TensorBatch> Batches(int batchSize, IReadOnlyList<int>? order = null, CancellationToken cancel = default)
    {
        if (batchSize < 1) throw new EdgeException($"batch size must be at least 1, got {batchSize}");
        order ??= Enumerable.Range(0, _dataset.Count).ToArray();
        int total = order.Count;
        int batches = (total + batchSize - 1) / batchSize;
        Task<TensorBatch>? next = batches > 0 ? Task.Run(() => Build(order, 0, batchSize), cancel) : null;
        for (int b = 0; b < batches; b++)
        {
            var current = next!.GetAwaiter().GetResult();
            int start = (b + 1) * batchSize;
            next = b + 1 < batches ? Task.Run(() => Build(order, start, batchSize), cancel) : null;
            yield return current;
        }
    }

    /// <summary>Preprocesses one image: the same path every stage uses.</summary>
    public float[] Tensor(int index) => _preprocessor.Run(_dataset.GetImage(index));

    private TensorBatch Build(IReadOnlyList<int> order, int start, int batchSize)
    {
        int count = Math.Min(batchSize, order.Count - start);
        int len = _preprocessor.TensorLength;
        var data = new float[count * len];
        var labels = new int[count];
        var indices = new int[count];
        var spec = _preprocessor.Spec;
        Parallel.For(0, count, i =>
        {
            int index = order[start + i];
            indices[i] = index;
            labels[i] = _dataset.GetLabel(index);
            _preprocessor.Run(_dataset.GetImage(index), data.AsSpan(i * len, len));
        });
        return new TensorBatch(data, labels, indices, count, [count, spec.Channels, spec.Height, spec.Width]);
    }
}
