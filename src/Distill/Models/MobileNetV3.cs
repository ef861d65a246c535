using Edge.Distill.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models;

/// <summary>
/// MobileNetV3 (Howard et al., ICCV 2019) as timm's <c>mobilenetv3.py</c> builds it: <c>conv_stem</c> + <c>bn1</c>
/// (hard-swish), <c>blocks.S.B</c> (ReLU and hard-swish rows, squeeze-excitation with a hard-sigmoid gate, a last 1x1
/// conv stage; see <see cref="MobileStages"/>), then the "efficient head": global average pool, <c>conv_head</c> (1x1
/// with bias, no BatchNorm), hard-swish, dropout, <c>classifier</c>. Field names equal timm's state_dict keys, so
/// converted <c>mobilenetv3_large_100</c> / <c>_small_100</c> weights load by name; weights start as timm's
/// <c>_init_weight_goog</c>.
/// </summary>
public sealed class MobileNetV3 : StudentModel
{
    private readonly Conv2d conv_stem;
    private readonly BatchNorm2d bn1;
    private readonly nn.Module<Tensor, Tensor> act1;
    private readonly Sequential blocks;
    private readonly Conv2d conv_head;
    private readonly nn.Module<Tensor, Tensor> act2;
    private readonly Dropout head_drop;
    private readonly Linear classifier;

    public MobileNetV3(MobileNetV3Config config, string registryName = "mobilenetv3") : base(nameof(MobileNetV3), registryName, config.Validate())
    {
        var c = config;
        int stem = c.ScaledStem;
        conv_stem = MobileConv.Create(c.InChannels, stem, 3, c.StemStride);
        bn1 = nn.BatchNorm2d(stem);
        act1 = Activations.Create(c.Activation);
        var built = MobileStages.Build(stem, c.ScaledStages(), c.Activation,
            new SePolicy(c.SeGate, c.SeActivation, MobileNetV3Config.SeChannels), c.DropPathRate, c.StemStride);
        blocks = built.Blocks;
        // timm does not scale the head width with the multiplier.
        conv_head = nn.Conv2d(built.OutChannels, c.HeadChannels, 1, bias: true);
        act2 = Activations.Create(c.Activation);
        head_drop = nn.Dropout(c.DropRate);
        classifier = nn.Linear(c.HeadChannels, c.NumClasses);
        FeatureTaps = built.Taps;
        RegisterComponents();
        GoogInit.Apply(this);
    }

    public Conv2d ConvStem => conv_stem;
    public BatchNorm2d Bn1 => bn1;
    public nn.Module<Tensor, Tensor> Act1 => act1;
    public Sequential Blocks => blocks;
    public Conv2d ConvHead => conv_head;
    public nn.Module<Tensor, Tensor> Act2 => act2;
    public Dropout HeadDrop => head_drop;
    public Linear Classifier => classifier;

    /// <summary>Stage outputs <c>blocks.0</c>..<c>blocks.N</c>, NCHW.</summary>
    public override IReadOnlyList<FeatureTap> FeatureTaps { get; }

    /// <summary>timm's MobileNetV3 group_matcher: stem, each block, then the head (conv_head with the classifier).</summary>
    protected override (int Major, int Minor) DepthKey(string name) => name.Split('.') switch
    {
        ["conv_stem" or "bn1", ..] => (-1, -1),
        ["blocks", var s, var b, ..] => (int.Parse(s), int.Parse(b)),
        _ => HeadDepth,
    };

    /// <summary>Feature map [N, C, h, w] of the last stage, before the efficient head.</summary>
    public Tensor ForwardFeatures(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = act1.call(bn1.call(conv_stem.call(x)));
        return blocks.call(h).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var pooled = ForwardFeatures(x).mean([2, 3], keepdim: true);
        var h = act2.call(conv_head.call(pooled)).flatten(1);
        return classifier.call(head_drop.call(h)).MoveToOuterDisposeScope();
    }
}
