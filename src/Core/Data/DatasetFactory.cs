namespace Edge.Core.Data;

/// <summary>A dataset layout Edge can read. Formats are tried in registration order.</summary>
public interface IDatasetFormat
{
    string Name { get; }
    bool CanOpen(string folder);
    /// <param name="builtInLabels">A built-in dataset's labels, used when the source gives none.</param>
    IImageDataset Open(string folder, string split, DatasetSource source, IReadOnlyList<string>? builtInLabels);
}

/// <summary>
/// Opens a dataset split (train, val or test) from a <see cref="DatasetSource"/>: a folder of IDX files
/// (MNIST layout, gzipped or raw) or an image folder. Images come in their own channels; each model's
/// <see cref="Preprocessing.Preprocessor"/> converts them to what it takes.
/// </summary>
public static class DatasetFactory
{
    public static readonly string[] Splits = ["train", "val", "test"];

    public static readonly IReadOnlyList<IDatasetFormat> Formats = [new IdxFormat(), new ImageFolderFormat()];

    public static IImageDataset Open(string path, string split) => Open(new DatasetSource { Path = path }, split);

    /// <summary>True when one of the <see cref="Formats"/> recognises the folder.</summary>
    public static bool CanOpen(string folder) => Directory.Exists(folder) && Formats.Any(f => f.CanOpen(folder));

    public static IImageDataset Open(DatasetSource source, string split)
    {
        source.Validate();
        if (!Splits.Contains(split))
            throw new EdgeException($"unknown split '{split}': use {string.Join(", ", Splits)}");
        var builtIn = BuiltInDatasets.Find(source.Path);
        string folder = source.Folder();
        if (!Directory.Exists(folder))
        {
            string hint = builtIn is not null ? $" — {builtIn.InstallHint}"
                : $" — pass a folder of IDX files or an image folder with one subfolder per class, or a built-in dataset ({string.Join(", ", BuiltInDatasets.Names)})";
            throw new EdgeException($"dataset not found: {folder}{hint}");
        }
        // Labels: the source's (a list or file, read by the format: IDX classes are indices, folders have names), else
        // the built-in entry's, else whatever the files carry (a labels.txt in the dataset folder, folder names).
        string? labels = source.Labels is { } given ? LabelsFile.Locate(given, folder)
            : File.Exists(Path.Combine(folder, "labels.txt")) ? Path.Combine(folder, "labels.txt") : null;
        source = source with { Labels = labels };
        foreach (var format in Formats)
            if (format.CanOpen(folder))
                return format.Open(folder, split, source, builtIn?.Labels);
        throw new EdgeException($"{folder} is not a dataset Edge can read (tried {string.Join(", ", Formats.Select(f => f.Name))}): expected train-/t10k-images-idx3-ubyte[.gz] files or class subfolders of images");
    }
}
