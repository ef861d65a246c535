using Edge.Distill.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models;

/// <summary>
/// EfficientNet (Tan &amp; Le, ICML 2019) as timm's <c>efficientnet.py</c> builds it: <c>conv_stem</c> + <c>bn1</c> (SiLU),
/// <c>blocks.S.B</c> (depthwise-separable, then MBConv with squeeze-excitation; see <see cref="MobileStages"/>),
/// <c>conv_head</c> + <c>bn2</c> (SiLU), global average pool, dropout, <c>classifier</c>. Field names equal timm's
/// state_dict keys, so converted <c>efficientnet_b0</c> weights load by name; weights start as timm's
/// <c>_init_weight_goog</c>.
/// </summary>
public sealed class EfficientNet : StudentModel
{
    private readonly Conv2d conv_stem;
    private readonly BatchNorm2d bn1;
    private readonly nn.Module<Tensor, Tensor> act1;
    private readonly Sequential blocks;
    private readonly Conv2d conv_head;
    private readonly BatchNorm2d bn2;
    private readonly nn.Module<Tensor, Tensor> act2;
    private readonly Dropout head_drop;
    private readonly Linear classifier;

    public EfficientNet(EfficientNetConfig config, string registryName = "efficientnet") : base(nameof(EfficientNet), registryName, config.Validate())
    {
        var c = config;
        int stem = c.ScaledStem, head = c.ScaledHead;
        conv_stem = MobileConv.Create(c.InChannels, stem, 3, c.StemStride);
        bn1 = nn.BatchNorm2d(stem);
        act1 = Activations.Create(c.Activation);
        var built = MobileStages.Build(stem, c.ScaledStages(), c.Activation,
            new SePolicy(c.SeGate, null, EfficientNetConfig.SeChannels), c.DropPathRate, c.StemStride);
        blocks = built.Blocks;
        conv_head = MobileConv.Create(built.OutChannels, head, 1);
        bn2 = nn.BatchNorm2d(head);
        act2 = Activations.Create(c.Activation);
        head_drop = nn.Dropout(c.DropRate);
        classifier = nn.Linear(head, c.NumClasses);
        FeatureTaps = built.Taps;
        RegisterComponents();
        GoogInit.Apply(this);
    }

    public Conv2d ConvStem => conv_stem;
    public BatchNorm2d Bn1 => bn1;
    public nn.Module<Tensor, Tensor> Act1 => act1;
    public Sequential Blocks => blocks;
    public Conv2d ConvHead => conv_head;
    public BatchNorm2d Bn2 => bn2;
    public nn.Module<Tensor, Tensor> Act2 => act2;
    public Dropout HeadDrop => head_drop;
    public Linear Classifier => classifier;

    /// <summary>Stage outputs <c>blocks.0</c>..<c>blocks.N</c>, NCHW.</summary>
    public override IReadOnlyList<FeatureTap> FeatureTaps { get; }

    /// <summary>timm's EfficientNet group_matcher: stem, each block, the head conv (its own layer), then the classifier.</summary>
    protected override (int Major, int Minor) DepthKey(string name) => name.Split('.') switch
    {
        ["conv_stem" or "bn1", ..] => (-1, -1),
        ["blocks", var s, var b, ..] => (int.Parse(s), int.Parse(b)),
        ["conv_head" or "bn2", ..] => (int.MaxValue - 1, 0),
        _ => HeadDepth,
    };

    /// <summary>Feature map [N, head channels, h, w] before pooling.</summary>
    public Tensor ForwardFeatures(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = act1.call(bn1.call(conv_stem.call(x)));
        h = blocks.call(h);
        return act2.call(bn2.call(conv_head.call(h))).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var pooled = ForwardFeatures(x).mean([2, 3]);
        return classifier.call(head_drop.call(pooled)).MoveToOuterDisposeScope();
    }
}
