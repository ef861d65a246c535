using Edge.Core;

namespace Edge.Distill.Models;

/// <summary>The plain baseline CNN: three Conv-BN-ReLU widths; the input side must be a multiple of 4 (two 2x2 pools).</summary>
public sealed record SimpleCnnConfig : StudentConfig
{
    public const string FamilyName = "simple-cnn";

    public SimpleCnnConfig() : base(FamilyName) { }

    public int[] Widths { get; init; } = [32, 64, 128];

    public override SimpleCnnConfig Validate()
    {
        ValidateInput("simple-cnn");
        if (Widths.Length != 3 || Widths.Any(w => w < 1))
            throw new EdgeException($"Invalid simple-cnn config: Widths must be three positive channel counts, got [{string.Join(", ", Widths)}].");
        if (ImageSize % 4 != 0)
            throw new EdgeException($"Invalid simple-cnn config: ImageSize must be a multiple of 4 (two 2x2 max pools), got {ImageSize}.");
        return this;
    }

    public override string Summary() => $"{base.Summary()}, widths [{string.Join(",", Widths)}]";

    public static SimpleCnnConfig FromJson(string json, SimpleCnnConfig? baseConfig = null) =>
        StudentConfigJson.Overlay(json, baseConfig ?? new SimpleCnnConfig(), "simple-cnn");
}
