namespace Edge.Distill.Models;

/// <summary>
/// A MobileNetV3 student (Howard et al., 2019) as timm's <c>_gen_mobilenet_v3</c> builds it: hard-swish stem, stages
/// mixing ReLU and hard-swish rows, squeeze-excitation sized from the expanded channels (timm's
/// <c>se_from_exp=True</c>: make_divisible(expanded × SeRatio), ReLU inside, a hard-sigmoid gate), a last 1x1 conv
/// stage, then global pool, a 1x1 head conv with bias and hard-swish, and the classifier. Defaults are
/// MobileNetV3-Large 1.0.
/// </summary>
public sealed record MobileNetV3Config : MobileCnnConfig
{
    public const string FamilyName = "mobilenetv3";

    public MobileNetV3Config() : base(FamilyName)
    {
        StemChannels = 16;
        Stages = MobileNetV3Presets.LargeStages;
        HeadChannels = 1280;
        Activation = "hardswish";
        SeGate = "hardsigmoid";
        DropRate = 0.2;
    }

    /// <summary>Activation inside squeeze-excitation (timm forces ReLU); null: the block's.</summary>
    public string? SeActivation { get; init; } = "relu";

    protected override string Label => "MobileNetV3";

    public override MobileNetV3Config Validate()
    {
        ValidateShared();
        if (SeActivation is { } a && !Layers.Activations.IsActivation(a))
            Fail($"unknown SeActivation '{a}' (known: {string.Join(", ", Layers.Activations.ActivationNames)})");
        return this;
    }

    public override IReadOnlyList<IReadOnlyList<MobileBlockSpec>> ScaledStages() =>
        [.. Stages.Select(stage => (IReadOnlyList<MobileBlockSpec>)stage.Select(r => r with { Channels = ScaledWidth(r.Channels) }).ToArray())];

    /// <summary>timm keeps the stem at its width below a 0.75 multiplier (fix_stem).</summary>
    public int ScaledStem => WidthMultiplier < 0.75 ? StemChannels : ScaledWidth(StemChannels);

    /// <summary>SE channels from the expanded channels: make_divisible(expanded × SeRatio) (timm's rd_round_fn=round_channels).</summary>
    public static int SeChannels(int expanded, MobileBlockSpec row) => MobileStages.MakeDivisible(expanded * row.SeRatio);

    public static MobileNetV3Config FromJson(string json, MobileNetV3Config? baseConfig = null) =>
        StudentConfigJson.Overlay(json, baseConfig ?? new MobileNetV3Config(), "MobileNetV3");
}
