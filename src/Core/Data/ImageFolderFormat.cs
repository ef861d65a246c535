namespace Edge.Core.Data;

/// <summary>
/// An image folder: one subfolder per class, either directly under the root (one pool of images: every split is the
/// whole pool, or a seeded per-class hold-out with <see cref="DatasetSource.HoldoutFraction"/>) or under split
/// folders train/, val/, test/ (the ImageNet layout has train/ and val/: a test request reads val/ when there is no
/// test/, and the other way round).
/// </summary>
internal sealed class ImageFolderFormat : IDatasetFormat
{
    public string Name => "image-folder";

    public bool CanOpen(string folder) => Directory.EnumerateDirectories(folder).Any(d => !Path.GetFileName(d).StartsWith('.'));

    public IImageDataset Open(string folder, string split, DatasetSource source, IReadOnlyList<string>? builtInLabels)
    {
        var present = DatasetFactory.Splits.Where(s => Directory.Exists(Path.Combine(folder, s))).ToArray();
        if (present.Length > 0)
        {
            string? chosen = present.Contains(split) ? split
                : split == "test" && present.Contains("val") ? "val"
                : split == "val" && present.Contains("test") ? "test"
                : null;
            if (chosen is null)
                throw new EdgeException($"{folder} has split folders {string.Join(", ", present.Select(p => p + "/"))} but none for the {split} split; add {split}/ with one subfolder per class");
            string root = Path.Combine(folder, chosen);
            return new ImageFolderDataset(root, source.Labels, $"{root} ({split})");
        }
        var pool = new ImageFolderDataset(folder, source.Labels, $"{folder} ({split})");
        if (source.HoldoutFraction is not { } f) return pool;
        return Holdout.Split(pool, f, source.SplitSeed, holdout: split != "train", $"{folder} ({split}, holdout {f:0.###} seed {source.SplitSeed})");
    }
}
