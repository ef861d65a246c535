using Edge.Core;

namespace Edge.Distill.Models;

/// <summary>
/// Name → student builder, listed explicitly in <see cref="Build"/> (no registration by side effect).
/// <code>
/// var model = StudentRegistry.Create("tinyvit-quick-32");                            // preset as is
/// var model = StudentRegistry.Create("tinyvit-5m", c => c with { NumClasses = 10 });  // preset, overridden
/// var model = StudentRegistry.Create("tinyvit-5m", TinyVitConfig.FromFile("my.json", StudentRegistry.DefaultConfig("tinyvit-5m")));
/// </code>
/// </summary>
public static class StudentRegistry
{
    private sealed record Entry(TinyVitConfig Defaults, Func<TinyVitConfig, string, StudentModel> Build, string Description, long? ReferenceParameters = null);

    private static readonly IReadOnlyDictionary<string, Entry> Entries = Build();

    private static Dictionary<string, Entry> Build()
    {
        static StudentModel Vit(TinyVitConfig c, string name) => new TinyVit(c, name);
        static StudentModel Cnn(TinyVitConfig c, string name) => new SimpleCnn(c, name);
        return new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase)
        {
            ["tinyvit-5m"] = new(TinyVitPresets.TinyVit5M, Vit, "TinyViT-5M, 224x224x3, 1000 classes", 5_390_000),
            ["tinyvit-11m"] = new(TinyVitPresets.TinyVit11M, Vit, "TinyViT-11M, 224x224x3, 1000 classes", 11_000_000),
            ["tinyvit-21m"] = new(TinyVitPresets.TinyVit21M, Vit, "TinyViT-21M, 224x224x3, 1000 classes", 21_200_000),
            ["tinyvit-5m-32"] = new(TinyVitPresets.TinyVit5M32, Vit, "TinyViT-5M layout, 32x32x1, 10 classes"),
            ["tinyvit-quick-32"] = new(TinyVitPresets.TinyVitQuick32, Vit, "small fast TinyViT, 32x32x1, 10 classes"),
            ["simple-cnn"] = new(TinyVitPresets.SimpleCnn32, Cnn, "Conv/BN/ReLU/MaxPool CNN baseline, 32x32x1, 10 classes"),
        };
    }

    public static IReadOnlyList<string> Names => [.. Entries.Keys.Order(StringComparer.Ordinal)];

    public static string Describe(string name) => Get(name).Description;

    /// <summary>
    /// The parameter count the paper / timm gives for this preset (TinyViT 5M/11M/21M at 224x224, 1000 classes:
    /// 5.39M, 11.0M, 21.2M), or null for Edge's own small-image presets, which have no published reference.
    /// </summary>
    public static long? ReferenceParameters(string name) => Get(name).ReferenceParameters;

    /// <summary>The preset's config, to derive overrides from (<c>with { ... }</c> or <see cref="TinyVitConfig.FromFile"/>).</summary>
    public static TinyVitConfig DefaultConfig(string name) => Get(name).Defaults;

    /// <summary>Builds the student; <paramref name="config"/> replaces the preset config entirely when given.</summary>
    public static StudentModel Create(string name, TinyVitConfig? config = null)
    {
        var entry = Get(name);
        return entry.Build(config ?? entry.Defaults, name.ToLowerInvariant());
    }

    /// <summary>Builds the student from the preset config transformed by <paramref name="configure"/>.</summary>
    public static StudentModel Create(string name, Func<TinyVitConfig, TinyVitConfig> configure)
    {
        var entry = Get(name);
        return entry.Build(configure(entry.Defaults), name.ToLowerInvariant());
    }

    private static Entry Get(string name) =>
        Entries.TryGetValue(name, out var entry)
            ? entry
            : throw new EdgeException($"Unknown student '{name}'. Known students: {string.Join(", ", Names)}.");
}
