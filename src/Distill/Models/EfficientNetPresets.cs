namespace Edge.Distill.Models;

/// <summary>
/// EfficientNet variants, one data row each. The stage tables are timm's block strings (<c>_gen_efficientnet</c>);
/// B0 at 224x224x3 is the paper's (5.29 M parameters in timm). The small-image rows are Edge's own, for CPU batch 1.
/// Properties, not fields: every caller gets its own arrays.
/// </summary>
public static class EfficientNetPresets
{
    public static MobileBlockSpec[][] B0Stages => MobileCnnConfig.ParseStages(
        "ds_r1_k3_s1_e1_c16_se0.25",
        "ir_r2_k3_s2_e6_c24_se0.25",
        "ir_r2_k5_s2_e6_c40_se0.25",
        "ir_r3_k3_s2_e6_c80_se0.25",
        "ir_r3_k5_s1_e6_c112_se0.25",
        "ir_r4_k5_s2_e6_c192_se0.25",
        "ir_r1_k3_s1_e6_c320_se0.25");

    /// <summary>EfficientNet-B0: 224x224x3, 1000 classes, dropout 0.2 (paper; timm <c>efficientnet_b0</c>, 5.29 M).</summary>
    public static EfficientNetConfig B0 => new();

    /// <summary>B0's layout at half width and half depth for 64x64x3 (final map 2x2).</summary>
    public static EfficientNetConfig Small64 => new()
    {
        ImageSize = 64, InChannels = 3, NumClasses = 10,
        WidthMultiplier = 0.5, DepthMultiplier = 0.5, DropRate = 0.0,
    };

    /// <summary>
    /// For 1x32x32 (Fashion-MNIST): a stride-2 stem to 16x16, then one block per resolution step down to 2x2, SE and
    /// SiLU throughout, a narrow head. Few nodes, because at batch 1 on a CPU each node costs about as much as its arithmetic.
    /// </summary>
    public static EfficientNetConfig Quick32 => new()
    {
        ImageSize = 32, InChannels = 1, NumClasses = 10,
        StemChannels = 24,
        Stages = MobileCnnConfig.ParseStages(
            "ds_r1_k3_s1_e1_c24_se0.25",
            "ir_r1_k3_s2_e4_c40_se0.25",
            "ir_r2_k3_s2_e4_c80_se0.25",
            "ir_r1_k3_s2_e4_c160_se0.25"),
        HeadChannels = 512,
        DropRate = 0.0,
    };
}
