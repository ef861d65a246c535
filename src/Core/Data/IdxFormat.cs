namespace Edge.Core.Data;

/// <summary>
/// A folder of IDX files in the MNIST layout: train-images-idx3-ubyte[.gz] with train-labels-idx1-ubyte[.gz], and
/// t10k-* for the test split. Class names come from the dataset source (a built-in entry or <c>--labels</c>), else a
/// labels.txt in the folder, else the class indices themselves ("0", "1", …): never from the folder's name.
/// </summary>
internal sealed class IdxFormat : IDatasetFormat
{
    public string Name => "idx";

    public bool CanOpen(string folder) => Find(folder, "train", "images-idx3-ubyte") is not null || Find(folder, "t10k", "images-idx3-ubyte") is not null;

    public IImageDataset Open(string folder, string split, DatasetSource source, IReadOnlyList<string>? builtInLabels)
    {
        string prefix = split == "train" || split == "val" ? "train" : "t10k";
        if (split == "val" && source.HoldoutFraction is null)
            throw new EdgeException($"{folder} has IDX train and test files but no val split; pass --holdout-fraction F to hold out a seeded fraction of train as val");
        string images = Find(folder, prefix, "images-idx3-ubyte")
                        ?? throw new EdgeException($"{folder} has no {prefix}-images-idx3-ubyte[.gz] for the {split} split");
        string labelFile = Find(folder, prefix, "labels-idx1-ubyte")
                           ?? throw new EdgeException($"{folder} has {Path.GetFileName(images)} but no {prefix}-labels-idx1-ubyte[.gz]");
        var names = source.Labels is { } given ? LabelsFile.Parse(given, folder) : builtInLabels;
        var dataset = new IdxDataset(images, labelFile, names, $"{folder} ({prefix})");
        if (prefix == "t10k" || source.HoldoutFraction is null) return dataset;
        return Holdout.Split(dataset, source.HoldoutFraction.Value, source.SplitSeed, split == "val", $"{folder} ({split}, holdout {source.HoldoutFraction:0.###} seed {source.SplitSeed})");
    }

    private static string? Find(string dir, string prefix, string kind) =>
        new[] { $"{prefix}-{kind}", $"{prefix}-{kind}.gz", $"{prefix}-{kind.Replace("-idx", ".idx")}", $"{prefix}-{kind.Replace("-idx", ".idx")}.gz" }
            .Select(name => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
