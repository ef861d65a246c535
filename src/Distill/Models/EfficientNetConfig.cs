namespace Edge.Distill.Models;

/// <summary>
/// An EfficientNet student (Tan &amp; Le, 2019) as timm's <c>_gen_efficientnet</c> builds it: stem conv, MBConv stages with
/// SiLU and squeeze-excitation sized from the block's input (timm's <c>se_from_exp=False</c>: about in × SeRatio
/// channels, the block's activation, a sigmoid gate), then a 1x1 head conv, global pool and
/// classifier. Defaults are EfficientNet-B0; <see cref="WidthMultiplier"/> and <see cref="DepthMultiplier"/> are timm's
/// channel and depth multipliers (B1-B7 are B0 with both scaled).
/// </summary>
public sealed record EfficientNetConfig : MobileCnnConfig
{
    public const string FamilyName = "efficientnet";

    public EfficientNetConfig() : base(FamilyName)
    {
        StemChannels = 32;
        Stages = EfficientNetPresets.B0Stages;
        HeadChannels = 1280;
        Activation = "silu";
        SeGate = "sigmoid";
        DropRate = 0.2;
    }

    /// <summary>Repeats of each stage × this, rounded up per stage (timm's depth_multiplier, 'ceil').</summary>
    public double DepthMultiplier { get; init; } = 1.0;

    protected override string Label => "EfficientNet";

    public override EfficientNetConfig Validate()
    {
        ValidateShared();
        if (!(DepthMultiplier > 0)) Fail($"DepthMultiplier must be positive, got {DepthMultiplier}");
        return this;
    }

    public override IReadOnlyList<IReadOnlyList<MobileBlockSpec>> ScaledStages() =>
        [.. Stages.Select(stage => (IReadOnlyList<MobileBlockSpec>)ScaleDepth(stage).Select(r => r with { Channels = ScaledWidth(r.Channels) }).ToArray())];

    /// <summary>The stem: timm scales it with the width (round_chs_fn(stem_size)).</summary>
    public int ScaledStem => ScaledWidth(StemChannels);

    /// <summary>The head: round_chs_fn(1280) in timm.</summary>
    public int ScaledHead => ScaledWidth(HeadChannels);

    /// <summary>SE channels from the block input (timm's se_from_exp=False divides the ratio by the expansion):
    /// round(expanded × SeRatio / Expand), at least 1 (Python's round, half to even).</summary>
    public static int SeChannels(int expanded, MobileBlockSpec row) =>
        Math.Max(1, (int)Math.Round(expanded * row.SeRatio / row.Expand, MidpointRounding.ToEven));

    public override string Summary() => $"{base.Summary()}, depth x{DepthMultiplier}";

    /// <summary>timm's <c>_scale_stage_depth</c> ('ceil'): the stage's total repeats × multiplier rounded up, handed
    /// back to the rows from the last one, in proportion.</summary>
    private MobileBlockSpec[] ScaleDepth(MobileBlockSpec[] stage)
    {
        int left = stage.Sum(r => r.Repeats);
        int leftScaled = (int)Math.Ceiling(left * DepthMultiplier);
        var scaled = new MobileBlockSpec[stage.Length];
        for (int i = stage.Length - 1; i >= 0; i--)
        {
            int r = stage[i].Repeats;
            int rs = Math.Max(1, (int)Math.Round((double)r / left * leftScaled, MidpointRounding.ToEven));
            scaled[i] = stage[i] with { Repeats = rs };
            left -= r;
            leftScaled -= rs;
        }
        return scaled;
    }

    public static EfficientNetConfig FromJson(string json, EfficientNetConfig? baseConfig = null) =>
        StudentConfigJson.Overlay(json, baseConfig ?? new EfficientNetConfig(), "EfficientNet");
}
