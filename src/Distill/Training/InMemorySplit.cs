using Edge.Core.Data;
using Edge.Core.Preprocessing;

namespace Edge.Distill.Training;

/// <summary>
/// A dataset split preprocessed once by the shared <see cref="Preprocessor"/> and held in memory as float32 CHW
/// tensors (Fashion-MNIST train: 60k × 1×32×32 = 245 MB), so epochs cost no decoding and augmentation works on
/// the exact tensors every other stage builds.
/// </summary>
public sealed class InMemorySplit
{
    private InMemorySplit(float[] data, int[] labels, int[] sourceIndices, int sampleLength, string description)
    {
        Data = data; Labels = labels; SourceIndices = sourceIndices; SampleLength = sampleLength; Description = description;
    }

    public float[] Data { get; }
    public int[] Labels { get; }
    /// <summary>Index of each sample in the original dataset.</summary>
    public int[] SourceIndices { get; }
    public int SampleLength { get; }
    public int Count => Labels.Length;
    public string Description { get; }

    public ReadOnlySpan<float> Sample(int i) => Data.AsSpan(i * SampleLength, SampleLength);

    public static InMemorySplit Load(IImageDataset dataset, Preprocessor preprocessor, IReadOnlyList<int> indices)
    {
        int len = preprocessor.TensorLength;
        var data = new float[(long)indices.Count * len];
        var labels = new int[indices.Count];
        Parallel.For(0, indices.Count, i =>
        {
            labels[i] = dataset.GetLabel(indices[i]);
            preprocessor.Run(dataset.GetImage(indices[i]), data.AsSpan(i * len, len));
        });
        return new InMemorySplit(data, labels, [.. indices], len, dataset.Description);
    }
}
