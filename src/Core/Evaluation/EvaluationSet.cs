using System.Security.Cryptography;
using Edge.Core.Data;

namespace Edge.Core.Evaluation;

/// <summary>
/// The images a gate evaluates, with what identifies them: <see cref="DatasetSha256"/> hashes the whole underlying
/// dataset (the base of any subset), so a baseline made on the full test split and a run on a random subset of it
/// are recognised as the same evaluation set; <see cref="BaseIndices"/> says which of its images were used, so
/// per-sample results can be paired across runs.
/// </summary>
public sealed class EvaluationSet
{
    private readonly Lazy<string> _datasetSha256;

    /// <param name="labeled">False: the labels are ignored and the teacher's top-1 is the reference.</param>
    public EvaluationSet(IImageDataset dataset, bool labeled = true)
    {
        if (dataset.Count == 0)
            throw new EdgeException($"{dataset.Description} holds no images: the evaluation set is empty");
        Dataset = dataset;
        Labeled = labeled;
        (Base, BaseIndices) = Flatten(dataset);
        Labels = labeled ? Enumerable.Range(0, dataset.Count).Select(dataset.GetLabel).ToArray() : null;
        _datasetSha256 = new Lazy<string>(() => Fingerprint(Base));
    }

    public IImageDataset Dataset { get; }
    public bool Labeled { get; }
    public int Count => Dataset.Count;
    public string Description => Dataset.Description;
    public IReadOnlyList<string> ClassNames => Dataset.ClassNames;

    /// <summary>Label of each sample, in evaluation order; null for an unlabeled set.</summary>
    public int[]? Labels { get; }

    /// <summary>The dataset that subsets were taken from.</summary>
    public IImageDataset Base { get; }

    /// <summary>Index in <see cref="Base"/> of each evaluated sample.</summary>
    public int[] BaseIndices { get; }

    public int BaseCount => Base.Count;

    /// <summary>SHA-256 over the base dataset's content (pixels and labels; for image folders: paths, sizes, labels).</summary>
    public string DatasetSha256 => _datasetSha256.Value;

    /// <summary>SHA-256 over <see cref="BaseIndices"/>: equal when exactly the same images were evaluated in the same order.</summary>
    public string SamplesSha256()
    {
        var bytes = new byte[BaseIndices.Length * 4];
        Buffer.BlockCopy(BaseIndices, 0, bytes, 0, bytes.Length);
        return IO.FileHash.Sha256(bytes);
    }

    private static (IImageDataset Base, int[] Indices) Flatten(IImageDataset dataset)
    {
        if (dataset is not DatasetSubset subset)
            return (dataset, Enumerable.Range(0, dataset.Count).ToArray());
        var (inner, innerIndices) = Flatten(subset.Inner);
        return (inner, subset.Indices.Select(i => innerIndices[i]).ToArray());
    }

    private static string Fingerprint(IImageDataset dataset)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", dataset.ClassNames) + "\n"));
        Span<byte> number = stackalloc byte[8];
        if (dataset is UnlabeledImageFolder unlabeled)
        {
            for (int i = 0; i < unlabeled.Count; i++)
            {
                string path = unlabeled.GetPath(i);
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(unlabeled.Root, path) + "\0"));
                BitConverter.TryWriteBytes(number, new FileInfo(path).Length);
                hash.AppendData(number);
            }
        }
        else if (dataset is ImageFolderDataset folder)
        {
            // Decoding every image of a large folder would cost more than the evaluation: names, sizes and labels.
            string root = folder.Root;
            for (int i = 0; i < folder.Count; i++)
            {
                string path = folder.GetPath(i);
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(root, path) + "\0"));
                BitConverter.TryWriteBytes(number, new FileInfo(path).Length);
                hash.AppendData(number);
                BitConverter.TryWriteBytes(number, (long)folder.GetLabel(i));
                hash.AppendData(number);
            }
        }
        else
        {
            for (int i = 0; i < dataset.Count; i++)
            {
                var image = dataset.GetImage(i);
                BitConverter.TryWriteBytes(number, ((long)image.Height << 32) | ((long)image.Width << 8) | (uint)image.Channels);
                hash.AppendData(number);
                hash.AppendData(image.Pixels);
                BitConverter.TryWriteBytes(number, (long)dataset.GetLabel(i));
                hash.AppendData(number);
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
