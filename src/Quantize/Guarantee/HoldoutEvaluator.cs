using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Evaluation;
using Edge.Core.Inference;
using Edge.Core.Manifest;
using Edge.Core.Metrics;
using Edge.Core.Preprocessing;

namespace Edge.Quantize.Guarantee;

/// <summary>
/// Top-1 of a model file on held-out images, prepared once with the model's own preprocessing (gray or RGB images
/// become what the model takes) and scored through the model's labels: output index i counts as the dataset class
/// whose name is the manifest's label i (<see cref="ClassMapping"/>), never by index order.
/// </summary>
public sealed class HoldoutEvaluator
{
    private readonly float[] _data;
    private readonly int[] _labels;
    private readonly int[] _mapping;
    private readonly int _length;

    public HoldoutEvaluator(IImageDataset images, ModelManifest manifest, string setName)
    {
        if (images.Count == 0) throw new EdgeException($"{setName} holds no images to measure accuracy on");
        var pre = new Preprocessor(manifest.Preprocess);
        _length = pre.TensorLength;
        _mapping = ClassMapping.Build(manifest.Labels, manifest.Labels.Count, images.ClassNames, manifest.Name, setName);
        _data = new float[(long)images.Count * _length];
        _labels = new int[images.Count];
        int filled = 0;
        foreach (var batch in new BatchLoader(images, pre).Batches(256))
        {
            Array.Copy(batch.Data, 0, _data, (long)filled * _length, (long)batch.Count * _length);
            Array.Copy(batch.Labels, 0, _labels, filled, batch.Count);
            filled += batch.Count;
        }
        Count = images.Count;
    }

    public int Count { get; }

    /// <summary>Top-1 as a fraction. The argmax is the same for logits, probabilities and log-probabilities, so no kind conversion is needed here.</summary>
    public double Top1(string modelPath)
    {
        using var model = new OnnxClassifier(modelPath);
        int correct = 0;
        for (int start = 0; start < Count; start += 256)
        {
            int count = Math.Min(256, Count - start);
            float[] scores = model.Run(_data[(start * _length)..((start + count) * _length)], count);
            int classes = scores.Length / count;
            if (classes != _mapping.Length)
                throw new EdgeException($"{modelPath} outputs {classes} classes but its manifest lists {_mapping.Length} labels");
            for (int i = 0; i < count; i++)
                if (_mapping[Predictions.ArgMax(scores.AsSpan(i * classes, classes))] == _labels[start + i]) correct++;
        }
        return (double)correct / Count;
    }
}
