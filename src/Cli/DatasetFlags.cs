using System.CommandLine;
using Edge.Core.Data;

namespace Edge.Cli;

/// <summary>
/// The dataset flags every verb that reads images shares: <c>--data</c> (a built-in name or a folder), <c>--labels</c>
/// (a labels file or comma-separated class names), <c>--holdout-fraction</c> and <c>--split-seed</c> (a seeded per-class
/// split for a folder without split subfolders). One definition, so the verbs agree on names and meaning.
/// </summary>
internal sealed class DatasetFlags(string purpose)
{
    public Option<string?> Data { get; } = new("--data")
    {
        Description = $"{purpose}: a built-in dataset ({string.Join(", ", BuiltInDatasets.Names)}), a folder of IDX files, or an image folder (one subfolder per class, optionally under train/ val/ test/). Default: fashion-mnist",
    };
    public Option<string?> Labels { get; } = new("--labels")
    {
        Description = "Class labels: a file (one label per line, or folder=label / index=label lines) or comma-separated names. Default: the dataset's own (folder names, a labels.txt beside IDX files, a built-in dataset's)",
    };
    public Option<double?> Holdout { get; } = new("--holdout-fraction") { Description = "For a folder without split subfolders: hold out this fraction of each class (seeded) as the test/val split" };
    public Option<int?> SplitSeed { get; } = new("--split-seed") { Description = "Seed of --holdout-fraction (default 0)" };

    public IEnumerable<Option> All => [Data, Labels, Holdout, SplitSeed];

    /// <summary>The flags laid over <paramref name="baseline"/> (a recipe's dataset, or the built-in default).</summary>
    public DatasetSource Source(ParseResult parse, DatasetSource? baseline = null)
    {
        var source = baseline ?? "fashion-mnist";
        if (parse.GetValue(Data) is { } path) source = new DatasetSource { Path = path };
        return source with
        {
            Labels = parse.GetValue(Labels) ?? source.Labels,
            HoldoutFraction = parse.GetValue(Holdout) ?? source.HoldoutFraction,
            SplitSeed = parse.GetValue(SplitSeed) ?? source.SplitSeed,
        };
    }
}
