namespace Edge.Distill.Models;

/// <summary>
/// MobileNetV3 variants, one data row each. The stage tables are timm's block strings (<c>_gen_mobilenet_v3</c>);
/// Large and Small 1.0 at 224x224x3 are the paper's (5.48 M and 2.54 M parameters in timm). The small-image rows are
/// Edge's own, for CPU batch 1. Properties, not fields: every caller gets its own arrays.
/// </summary>
public static class MobileNetV3Presets
{
    public static MobileBlockSpec[][] LargeStages => MobileCnnConfig.ParseStages(
        "ds_r1_k3_s1_e1_c16_nre",
        "ir_r1_k3_s2_e4_c24_nre ir_r1_k3_s1_e3_c24_nre",
        "ir_r3_k5_s2_e3_c40_se0.25_nre",
        "ir_r1_k3_s2_e6_c80 ir_r1_k3_s1_e2.5_c80 ir_r2_k3_s1_e2.3_c80",
        "ir_r2_k3_s1_e6_c112_se0.25",
        "ir_r3_k5_s2_e6_c160_se0.25",
        "cn_r1_k1_s1_c960");

    public static MobileBlockSpec[][] SmallStages => MobileCnnConfig.ParseStages(
        "ds_r1_k3_s2_e1_c16_se0.25_nre",
        "ir_r1_k3_s2_e4.5_c24_nre ir_r1_k3_s1_e3.67_c24_nre",
        "ir_r1_k5_s2_e4_c40_se0.25 ir_r2_k5_s1_e6_c40_se0.25",
        "ir_r2_k5_s1_e3_c48_se0.25",
        "ir_r3_k5_s2_e6_c96_se0.25",
        "cn_r1_k1_s1_c576");

    /// <summary>MobileNetV3-Large 1.0: 224x224x3, 1000 classes (paper; timm <c>mobilenetv3_large_100</c>, 5.48 M).</summary>
    public static MobileNetV3Config Large => new();

    /// <summary>MobileNetV3-Small 1.0: 224x224x3, 1000 classes, head 1024 (paper; timm <c>mobilenetv3_small_100</c>, 2.54 M).</summary>
    public static MobileNetV3Config Small => new() { Stages = SmallStages, HeadChannels = 1024 };

    /// <summary>Large's layout at half width (timm keeps the 16-channel stem below 0.75) for 64x64x3 (final map 2x2).</summary>
    public static MobileNetV3Config Large64 => new()
    {
        ImageSize = 64, InChannels = 3, NumClasses = 10,
        WidthMultiplier = 0.5, HeadChannels = 640, DropRate = 0.0,
    };

    /// <summary>
    /// For 1x32x32 (Fashion-MNIST): a stride-2 stem to 16x16, ReLU rows at 16x16 and 8x8, hard-swish and SE from 4x4,
    /// a 1x1 conv stage and a narrow head. Few nodes, because at batch 1 on a CPU each node costs about as much as its
    /// arithmetic.
    /// </summary>
    public static MobileNetV3Config Quick32 => new()
    {
        ImageSize = 32, InChannels = 1, NumClasses = 10,
        StemChannels = 16,
        Stages = MobileCnnConfig.ParseStages(
            "ds_r1_k3_s1_e1_c16_nre",
            "ir_r1_k3_s2_e4_c24_nre ir_r1_k3_s1_e3_c24_nre",
            "ir_r2_k5_s2_e3_c40_se0.25",
            "ir_r1_k3_s2_e6_c80_se0.25 ir_r1_k3_s1_e2.5_c80_se0.25",
            "cn_r1_k1_s1_c480"),
        HeadChannels = 512,
        DropRate = 0.0,
    };
}
