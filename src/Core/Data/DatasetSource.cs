using System.Text.Json.Serialization;

namespace Edge.Core.Data;

/// <summary>
/// Which dataset a stage reads and how: a built-in name (<see cref="BuiltInDatasets"/>) or a folder (IDX files, or
/// an image folder with one subfolder per class, optionally under train/, val/ and test/), the class labels when the
/// files do not carry them, and a seeded hold-out when a folder has no split subfolders. Recorded as is in a distill
/// run, so the run reopens exactly the same images.
/// </summary>
public sealed record DatasetSource
{
    public required string Path { get; init; }
    /// <summary>A labels file (see <see cref="LabelsFile"/>) or comma-separated class names in class-index order.</summary>
    public string? Labels { get; init; }
    /// <summary>For a folder without split subfolders: this fraction of each class (seeded) is the test/val split,
    /// the rest the train split. Null: the whole folder is whatever split is asked for.</summary>
    public double? HoldoutFraction { get; init; }
    public int SplitSeed { get; init; }

    public static implicit operator DatasetSource(string path) => new() { Path = path };

    [JsonIgnore] public bool IsBuiltIn => BuiltInDatasets.Find(Path) is not null;

    /// <summary>The folder the files are in.</summary>
    public string Folder() => BuiltInDatasets.Find(Path)?.Folder ?? System.IO.Path.GetFullPath(Path);

    public IImageDataset Open(string split) => DatasetFactory.Open(this, split);

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path)) throw new EdgeException("no dataset given: pass --data fashion-mnist or a dataset folder");
        if (HoldoutFraction is { } f && !(f > 0 && f < 1))
            throw new EdgeException($"--holdout-fraction must be in (0, 1), e.g. 0.1; got {f}");
    }

    public override string ToString() =>
        Path + (Labels is null ? "" : $" labels={Labels}") + (HoldoutFraction is { } f ? $" holdout={f:0.###}/seed {SplitSeed}" : "");
}
