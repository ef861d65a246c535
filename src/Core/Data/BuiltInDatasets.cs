namespace Edge.Core.Data;

/// <summary>A dataset known by name (like torchvision's datasets): where it lives, its labels, how to get it.</summary>
public sealed record BuiltInDataset(string Name, string Folder, IReadOnlyList<string> Labels, string InstallHint);

/// <summary>
/// The named datasets <c>--data NAME</c> accepts. A name is looked up here and nowhere else: no behaviour depends on
/// a path or file name, so the same files in a folder of any name work when given their labels.
/// </summary>
public static class BuiltInDatasets
{
    public static readonly BuiltInDataset FashionMnist = new("fashion-mnist", "/usr/share/datasets/fashion-mnist",
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        "install it with: apt-get install -y dataset-fashion-mnist");

    private static readonly IReadOnlyDictionary<string, BuiltInDataset> Entries =
        new Dictionary<string, BuiltInDataset>(StringComparer.OrdinalIgnoreCase) { [FashionMnist.Name] = FashionMnist };

    public static IReadOnlyList<string> Names => [.. Entries.Keys];

    public static BuiltInDataset? Find(string name) => Entries.GetValueOrDefault(name.Trim());
}
