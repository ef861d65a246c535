namespace Edge.Core.Data;

/// <summary>A dataset layout Edge can read. Formats are tried in registration order.</summary>
public interface IDatasetFormat
{
    string Name { get; }
    bool CanOpen(string path, string split);
    IImageDataset Open(string path, string split, int channels);
}

/// <summary>
/// Opens a dataset split from a path: a folder of IDX files (Fashion-MNIST / MNIST layout, gzipped or raw) or an
/// image folder (one subfolder per class, optionally under train/ and test/). The name "fashion-mnist" means the
/// Debian package's copy.
/// </summary>
public static class DatasetFactory
{
    public const string FashionMnistDir = "/usr/share/datasets/fashion-mnist";

    public static readonly IReadOnlyList<IDatasetFormat> Formats = [new IdxFormat(), new ImageFolderFormat()];

    public static IImageDataset Open(string path, string split, int channels = 1)
    {
        if (split is not ("train" or "test"))
            throw new EdgeException($"unknown split '{split}': use train or test");
        string resolved = Resolve(path);
        if (!Directory.Exists(resolved))
        {
            string hint = path.Equals("fashion-mnist", StringComparison.OrdinalIgnoreCase)
                ? " — install it with: apt-get install -y dataset-fashion-mnist"
                : " — pass a folder of IDX files or an image folder with one subfolder per class";
            throw new EdgeException($"dataset not found: {resolved}{hint}");
        }
        foreach (var format in Formats)
            if (format.CanOpen(resolved, split))
                return format.Open(resolved, split, channels);
        throw new EdgeException($"{resolved} is not a dataset Edge can read for split '{split}' (tried {string.Join(", ", Formats.Select(f => f.Name))}): expected {split}-images-idx3-ubyte[.gz] files or class subfolders of images");
    }

    public static string Resolve(string path) =>
        path.Equals("fashion-mnist", StringComparison.OrdinalIgnoreCase) ? FashionMnistDir : Path.GetFullPath(path);

    public static readonly string[] FashionMnistLabels =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];
}

internal sealed class IdxFormat : IDatasetFormat
{
    public string Name => "idx";

    public bool CanOpen(string path, string split) => Find(path, Prefix(split), "images-idx3-ubyte") is not null;

    public IImageDataset Open(string path, string split, int channels)
    {
        if (channels != 1)
            throw new EdgeException($"{path}: IDX images are gray (1 channel) but the model expects {channels}");
        string prefix = Prefix(split);
        string images = Find(path, prefix, "images-idx3-ubyte")!;
        string labels = Find(path, prefix, "labels-idx1-ubyte")
                        ?? throw new EdgeException($"{path} has {Path.GetFileName(images)} but no {prefix}-labels-idx1-ubyte[.gz]");
        return new IdxDataset(images, labels, ClassNames(path), $"{path} ({split})");
    }

    private static string Prefix(string split) => split == "test" ? "t10k" : "train";

    private static string? Find(string dir, string prefix, string kind) =>
        new[] { $"{prefix}-{kind}", $"{prefix}-{kind}.gz", $"{prefix}-{kind.Replace("-idx", ".idx")}", $"{prefix}-{kind.Replace("-idx", ".idx")}.gz" }
            .Select(name => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    /// <summary>labels.txt (one name per line) if present; Fashion-MNIST names for a fashion folder; else digits.</summary>
    private static IReadOnlyList<string> ClassNames(string dir)
    {
        string file = Path.Combine(dir, "labels.txt");
        if (File.Exists(file))
            return File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (dir.Contains("fashion", StringComparison.OrdinalIgnoreCase))
            return DatasetFactory.FashionMnistLabels;
        return Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray();
    }
}

internal sealed class ImageFolderFormat : IDatasetFormat
{
    public string Name => "image-folder";

    public bool CanOpen(string path, string split) => Directory.EnumerateDirectories(path).Any();

    public IImageDataset Open(string path, string split, int channels)
    {
        // root/train/<class>/x.jpg and root/test/<class>/x.jpg, or root/<class>/x.jpg used for both splits.
        string splitDir = Path.Combine(path, split);
        string root = Directory.Exists(splitDir) ? splitDir : path;
        return new ImageFolderDataset(root, channels, $"{root} ({split})");
    }
}
