using Edge.Core;

namespace Edge.Distill.Models;

/// <summary>
/// Architecture of a TinyViT student. Names follow timm's <c>TinyVit.__init__</c> arguments so a timm config reads
/// across one to one. Four stages: stage 0 is MBConv, stages 1-3 are attention blocks.
/// </summary>
public sealed record TinyVitConfig : StudentConfig
{
    public const string FamilyName = "tinyvit";

    public TinyVitConfig() : base(FamilyName) { }

    public int[] EmbedDims { get; init; } = [64, 128, 160, 320];
    public int[] Depths { get; init; } = [2, 2, 6, 2];
    public int[] NumHeads { get; init; } = [2, 4, 5, 10];
    /// <summary>Window side per stage; stage 0 is convolutional and ignores its entry (timm keeps it too).</summary>
    public int[] WindowSizes { get; init; } = [7, 7, 14, 7];
    public double MlpRatio { get; init; } = 4.0;
    public double MbconvExpandRatio { get; init; } = 4.0;
    public int LocalConvSize { get; init; } = 3;
    public double DropPathRate { get; init; }
    /// <summary>Total stride of the patch embedding: 4 as in the paper (two stride-2 convs), or 2 for
    /// 28-64 px inputs, where a stride-4 stem would leave too few tokens (second conv then has stride 1).</summary>
    public int StemStride { get; init; } = 4;

    /// <summary>Spatial side of each stage's feature map, following timm's ceil(x / 2) per PatchMerging.</summary>
    public int[] StageResolutions()
    {
        var res = new int[Depths.Length];
        res[0] = (ImageSize + StemStride - 1) / StemStride;
        for (int i = 1; i < res.Length; i++) res[i] = (res[i - 1] + 1) / 2;
        return res;
    }

    /// <summary>Throws <see cref="EdgeException"/> naming the first inconsistent field.</summary>
    public override TinyVitConfig Validate()
    {
        int stages = Depths.Length;
        if (stages < 2) Fail("Depths needs at least two stages (one MBConv stage, one attention stage)");
        if (EmbedDims.Length != stages || NumHeads.Length != stages || WindowSizes.Length != stages)
            Fail($"EmbedDims, NumHeads, WindowSizes and Depths must have the same length ({stages})");
        ValidateInput("TinyViT");
        if (StemStride is not (2 or 4)) Fail($"StemStride must be 2 or 4, got {StemStride}");
        if (LocalConvSize % 2 != 1) Fail($"LocalConvSize must be odd, got {LocalConvSize}");
        if (DropPathRate is < 0 or >= 1) Fail($"DropPathRate must be in [0, 1), got {DropPathRate}");
        for (int i = 1; i < stages; i++)
        {
            if (EmbedDims[i] % NumHeads[i] != 0) Fail($"EmbedDims[{i}]={EmbedDims[i]} is not divisible by NumHeads[{i}]={NumHeads[i]}");
            if (WindowSizes[i] <= 0) Fail($"WindowSizes[{i}] must be positive");
        }
        if (EmbedDims[0] % 2 != 0) Fail("EmbedDims[0] must be even (the stem's first conv has EmbedDims[0] / 2 channels)");
        return this;

        static void Fail(string why) => throw new EdgeException($"Invalid TinyViT config: {why}.");
    }

    /// <summary>A window wider than its stage's map only attends over zero padding: refuse it, naming the stage.</summary>
    protected override void CheckInput()
    {
        var res = StageResolutions();
        for (int i = 1; i < Depths.Length; i++)
            if (WindowSizes[i] > res[i])
                throw new EdgeException($"TinyViT at {ImageSize}x{ImageSize}: WindowSizes[{i}]={WindowSizes[i]} is wider than stage {i}'s {res[i]}x{res[i]} map; set windows of at most [{string.Join(", ", res)}] (e.g. --student-config with \"windowSizes\") or pick a preset for this size.");
    }

    public override string Summary() =>
        $"{base.Summary()}, dims [{string.Join(",", EmbedDims)}], depths [{string.Join(",", Depths)}]";

    /// <summary>Reads a JSON object and lays its fields over <paramref name="baseConfig"/> (see <see cref="StudentConfigJson.Overlay"/>).</summary>
    public static TinyVitConfig FromJson(string json, TinyVitConfig? baseConfig = null) =>
        StudentConfigJson.Overlay(json, baseConfig ?? new TinyVitConfig(), "TinyViT");

    public static TinyVitConfig FromFile(string path, TinyVitConfig? baseConfig = null) =>
        FromJson(StudentConfigJson.ReadFile(path, "TinyViT"), baseConfig);
}
