using Edge.Core;

namespace Edge.Distill.Models;

/// <summary>
/// Preset name → (family, preset config, description, the paper's parameter count), and the families themselves,
/// all listed explicitly in <see cref="Build"/> (no registration by side effect).
/// <code>
/// var model = StudentRegistry.Create("mobilenetv3-quick-32");                                   // preset as is
/// var model = StudentRegistry.Create("tinyvit-5m", c => c.WithClasses(10));                      // any preset, overridden
/// var model = StudentRegistry.Create&lt;EfficientNetConfig&gt;("efficientnet-b0", c => c with { WidthMultiplier = 0.5 });
/// var model = StudentRegistry.Create("efficientnet-b0", StudentRegistry.ParseConfig("efficientnet-b0", """{"numClasses": 10}"""));
/// </code>
/// </summary>
public static class StudentRegistry
{
    private sealed record Entry(StudentFamily Family, Func<StudentConfig> Preset, string Description, long? ReferenceParameters = null);

    public static readonly StudentFamily TinyVitFamily = StudentFamily.Of<TinyVitConfig>(TinyVitConfig.FamilyName,
        "TinyViT (Wu et al., 2022): MBConv stage, then window-attention stages", TinyVitConfig.FromJson, (c, n) => new TinyVit(c, n));
    public static readonly StudentFamily EfficientNetFamily = StudentFamily.Of<EfficientNetConfig>(EfficientNetConfig.FamilyName,
        "EfficientNet (Tan & Le, 2019): MBConv with SiLU and squeeze-excitation", EfficientNetConfig.FromJson, (c, n) => new EfficientNet(c, n));
    public static readonly StudentFamily MobileNetV3Family = StudentFamily.Of<MobileNetV3Config>(MobileNetV3Config.FamilyName,
        "MobileNetV3 (Howard et al., 2019): ReLU/hard-swish inverted residuals, hard-sigmoid squeeze-excitation, efficient head",
        MobileNetV3Config.FromJson, (c, n) => new MobileNetV3(c, n));
    public static readonly StudentFamily SimpleCnnFamily = StudentFamily.Of<SimpleCnnConfig>(SimpleCnnConfig.FamilyName,
        "Conv/BN/ReLU/MaxPool baseline", SimpleCnnConfig.FromJson, (c, n) => new SimpleCnn(c, n));

    private static readonly IReadOnlyDictionary<string, Entry> Entries = Build();

    private static Dictionary<string, Entry> Build()
    {
        var vit = TinyVitFamily;
        var eff = EfficientNetFamily;
        var mnv3 = MobileNetV3Family;
        return new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase)
        {
            ["tinyvit-5m"] = new(vit, () => TinyVitPresets.TinyVit5M, "TinyViT-5M, 224x224x3, 1000 classes", 5_390_000),
            ["tinyvit-11m"] = new(vit, () => TinyVitPresets.TinyVit11M, "TinyViT-11M, 224x224x3, 1000 classes", 11_000_000),
            ["tinyvit-21m"] = new(vit, () => TinyVitPresets.TinyVit21M, "TinyViT-21M, 224x224x3, 1000 classes", 21_200_000),
            ["tinyvit-5m-32"] = new(vit, () => TinyVitPresets.TinyVit5M32, "TinyViT-5M layout, 32x32x1, 10 classes"),
            ["tinyvit-quick-32"] = new(vit, () => TinyVitPresets.TinyVitQuick32, "small fast TinyViT, 32x32x1, 10 classes"),
            ["efficientnet-b0"] = new(eff, () => EfficientNetPresets.B0, "EfficientNet-B0, 224x224x3, 1000 classes", 5_290_000),
            ["efficientnet-64"] = new(eff, () => EfficientNetPresets.Small64, "B0 layout at width 0.5, depth 0.5, 64x64x3, 10 classes"),
            ["efficientnet-quick-32"] = new(eff, () => EfficientNetPresets.Quick32, "small fast EfficientNet, 32x32x1, 10 classes"),
            ["mobilenetv3-large"] = new(mnv3, () => MobileNetV3Presets.Large, "MobileNetV3-Large 1.0, 224x224x3, 1000 classes", 5_480_000),
            ["mobilenetv3-small"] = new(mnv3, () => MobileNetV3Presets.Small, "MobileNetV3-Small 1.0, 224x224x3, 1000 classes", 2_540_000),
            ["mobilenetv3-64"] = new(mnv3, () => MobileNetV3Presets.Large64, "MobileNetV3-Large layout at width 0.5, 64x64x3, 10 classes"),
            ["mobilenetv3-quick-32"] = new(mnv3, () => MobileNetV3Presets.Quick32, "small fast MobileNetV3, 32x32x1, 10 classes"),
            ["simple-cnn"] = new(SimpleCnnFamily, () => new SimpleCnnConfig { ImageSize = 32, InChannels = 1, NumClasses = 10 },
                "Conv/BN/ReLU/MaxPool CNN baseline, 32x32x1, 10 classes"),
        };
    }

    /// <summary>Every preset name, sorted.</summary>
    public static IReadOnlyList<string> Names => [.. Entries.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Every family, in the order listed here.</summary>
    public static IReadOnlyList<StudentFamily> Families => [TinyVitFamily, EfficientNetFamily, MobileNetV3Family, SimpleCnnFamily];

    public static string Describe(string name) => Get(name).Description;

    public static StudentFamily FamilyOf(string name) => Get(name).Family;

    /// <summary>
    /// The parameter count the paper / timm gives for this preset at 224x224x3 and 1000 classes (TinyViT 5M/11M/21M:
    /// 5.39M, 11.0M, 21.2M; EfficientNet-B0 5.29M; MobileNetV3-Large 5.48M, -Small 2.54M), or null for Edge's own
    /// small-image presets, which have no published reference.
    /// </summary>
    public static long? ReferenceParameters(string name) => Get(name).ReferenceParameters;

    /// <summary>A fresh copy of the preset's config, to derive overrides from (<c>with { ... }</c>, <see cref="ParseConfig"/>).</summary>
    public static StudentConfig DefaultConfig(string name) => Get(name).Preset();

    /// <summary>Builds the student; <paramref name="config"/> (of the preset's family) replaces the preset config entirely when given.</summary>
    public static StudentModel Create(string name, StudentConfig? config = null)
    {
        var entry = Get(name);
        return entry.Family.Build(config ?? entry.Preset(), name.ToLowerInvariant());
    }

    /// <summary>Builds the student from the preset config transformed by <paramref name="configure"/>.</summary>
    public static StudentModel Create(string name, Func<StudentConfig, StudentConfig> configure) => Create(name, configure(DefaultConfig(name)));

    /// <summary>Builds the student from the preset config transformed by <paramref name="configure"/> in the family's own type.</summary>
    public static StudentModel Create<TConfig>(string name, Func<TConfig, TConfig> configure) where TConfig : StudentConfig =>
        Create(name, DefaultConfig(name) is TConfig typed
            ? configure(typed)
            : throw new EdgeException($"student '{name}' is a {FamilyOf(name)} with a {FamilyOf(name).ConfigType.Name}, not a {typeof(TConfig).Name}"));

    /// <summary>A JSON object laid over <paramref name="baseConfig"/> (default: the preset's) in the preset's family;
    /// unknown fields, wrong types and another family's config are errors naming the field.</summary>
    public static StudentConfig ParseConfig(string name, string json, StudentConfig? baseConfig = null)
    {
        var entry = Get(name);
        return entry.Family.Parse(json, baseConfig ?? entry.Preset());
    }

    /// <summary><see cref="ParseConfig"/> of a file (e.g. <c>--student-config</c>, a run's <c>student.json</c>).</summary>
    public static StudentConfig ConfigFromFile(string name, string path, StudentConfig? baseConfig = null)
    {
        if (!File.Exists(path)) throw new EdgeException($"student config file '{path}' does not exist.");
        return ParseConfig(name, File.ReadAllText(path), baseConfig);
    }

    private static Entry Get(string name) =>
        Entries.TryGetValue(name, out var entry)
            ? entry
            : throw new EdgeException($"Unknown student '{name}'. Known students: {string.Join(", ", Names)}.");
}
