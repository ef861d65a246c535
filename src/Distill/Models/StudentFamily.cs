namespace Edge.Distill.Models;

/// <summary>
/// One architecture family: its typed config record, how to read that config from JSON over a base, and how to build
/// the model. <see cref="StudentRegistry"/> lists the families and maps preset names to (family, preset config).
/// </summary>
public sealed class StudentFamily
{
    private readonly Func<string, StudentConfig, StudentConfig> parse;
    private readonly Func<StudentConfig, string, StudentModel> build;

    private StudentFamily(string name, Type configType, string description,
        Func<string, StudentConfig, StudentConfig> parse, Func<StudentConfig, string, StudentModel> build)
    {
        Name = name;
        ConfigType = configType;
        Description = description;
        this.parse = parse;
        this.build = build;
    }

    /// <summary>A family whose config is <typeparamref name="TConfig"/>; the casts live here, once.</summary>
    public static StudentFamily Of<TConfig>(string name, string description, Func<string, TConfig, TConfig> parse,
        Func<TConfig, string, StudentModel> build) where TConfig : StudentConfig =>
        new(name, typeof(TConfig), description, (json, b) => parse(json, (TConfig)b), (c, n) => build((TConfig)c, n));

    /// <summary>"tinyvit", "efficientnet", "mobilenetv3", "simple-cnn": what <see cref="StudentConfig.Family"/> says.</summary>
    public string Name { get; }
    public Type ConfigType { get; }
    public string Description { get; }

    /// <summary><paramref name="json"/> laid over <paramref name="baseConfig"/> (which must be this family's).</summary>
    public StudentConfig Parse(string json, StudentConfig baseConfig) => parse(json, Require(baseConfig, "base config"));

    public StudentModel Build(StudentConfig config, string registryName) => build(Require(config, $"config of '{registryName}'"), registryName);

    private StudentConfig Require(StudentConfig config, string what) =>
        config.GetType() == ConfigType
            ? config
            : throw new Edge.Core.EdgeException($"the {what} is a {config.Family} config but a {Name} student needs a {ConfigType.Name}; pass a {Name} config or another --student");

    public override string ToString() => Name;
}
