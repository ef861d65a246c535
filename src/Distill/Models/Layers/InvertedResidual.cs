using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// Inverted residual / MBConv (timm's <c>InvertedResidual</c>): 1x1 expand conv, BN, activation; k×k depthwise conv
/// (the block's stride), BN, activation; squeeze-excitation (or none); 1x1 project conv, BN (linear bottleneck);
/// residual with drop path when stride 1 keeps the shape. Fields <c>conv_pw</c>, <c>bn1</c>, <c>conv_dw</c>,
/// <c>bn2</c>, <c>se</c>, <c>conv_pwl</c>, <c>bn3</c> as timm's state dict. NCHW.
/// </summary>
public sealed class InvertedResidual : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv_pw;
    private readonly BatchNorm2d bn1;
    private readonly nn.Module<Tensor, Tensor> act1;
    private readonly Conv2d conv_dw;
    private readonly BatchNorm2d bn2;
    private readonly nn.Module<Tensor, Tensor> act2;
    private readonly nn.Module<Tensor, Tensor> se;
    private readonly Conv2d conv_pwl;
    private readonly BatchNorm2d bn3;
    private readonly DropPath drop_path;

    public InvertedResidual(int inChannels, int midChannels, int outChannels, int kernel, int stride, string activation,
        SqueezeExcite? se, bool noSkip, double dropPath) : base(nameof(InvertedResidual))
    {
        conv_pw = MobileConv.Create(inChannels, midChannels, 1);
        bn1 = nn.BatchNorm2d(midChannels);
        act1 = Activations.Create(activation);
        conv_dw = MobileConv.Create(midChannels, midChannels, kernel, stride, groups: midChannels);
        bn2 = nn.BatchNorm2d(midChannels);
        act2 = Activations.Create(activation);
        this.se = se ?? (nn.Module<Tensor, Tensor>)nn.Identity();
        conv_pwl = MobileConv.Create(midChannels, outChannels, 1);
        bn3 = nn.BatchNorm2d(outChannels);
        drop_path = new DropPath(dropPath);
        HasSkip = stride == 1 && inChannels == outChannels && !noSkip;
        RegisterComponents();
    }

    public bool HasSkip { get; }
    public Conv2d ConvPw => conv_pw;
    public BatchNorm2d Bn1 => bn1;
    public nn.Module<Tensor, Tensor> Act1 => act1;
    public Conv2d ConvDw => conv_dw;
    public BatchNorm2d Bn2 => bn2;
    public nn.Module<Tensor, Tensor> Act2 => act2;
    public nn.Module<Tensor, Tensor> Se => se;
    public Conv2d ConvPwl => conv_pwl;
    public BatchNorm2d Bn3 => bn3;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = act1.call(bn1.call(conv_pw.call(x)));
        h = act2.call(bn2.call(conv_dw.call(h)));
        h = bn3.call(conv_pwl.call(se.call(h)));
        if (HasSkip) h = drop_path.call(h).add_(x, Scalars.One);
        return h.MoveToOuterDisposeScope();
    }
}
