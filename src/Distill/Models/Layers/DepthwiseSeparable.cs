using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// Depthwise-separable block (timm's <c>DepthwiseSeparableConv</c>): k×k depthwise conv, BN, activation,
/// squeeze-excitation (or none), 1x1 pointwise conv, BN (no activation), residual when stride 1 keeps the shape.
/// Fields <c>conv_dw</c>, <c>bn1</c>, <c>se</c>, <c>conv_pw</c>, <c>bn2</c> as timm's state dict. NCHW.
/// </summary>
public sealed class DepthwiseSeparable : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv_dw;
    private readonly BatchNorm2d bn1;
    private readonly nn.Module<Tensor, Tensor> act1;
    private readonly nn.Module<Tensor, Tensor> se;
    private readonly Conv2d conv_pw;
    private readonly BatchNorm2d bn2;
    private readonly DropPath drop_path;

    public DepthwiseSeparable(int inChannels, int outChannels, int kernel, int stride, string activation, SqueezeExcite? se,
        bool noSkip, double dropPath) : base(nameof(DepthwiseSeparable))
    {
        conv_dw = MobileConv.Create(inChannels, inChannels, kernel, stride, groups: inChannels);
        bn1 = nn.BatchNorm2d(inChannels);
        act1 = Activations.Create(activation);
        this.se = se ?? (nn.Module<Tensor, Tensor>)nn.Identity();
        conv_pw = MobileConv.Create(inChannels, outChannels, 1);
        bn2 = nn.BatchNorm2d(outChannels);
        drop_path = new DropPath(dropPath);
        HasSkip = stride == 1 && inChannels == outChannels && !noSkip;
        RegisterComponents();
    }

    public bool HasSkip { get; }
    public Conv2d ConvDw => conv_dw;
    public BatchNorm2d Bn1 => bn1;
    public nn.Module<Tensor, Tensor> Act1 => act1;
    public nn.Module<Tensor, Tensor> Se => se;
    public Conv2d ConvPw => conv_pw;
    public BatchNorm2d Bn2 => bn2;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = act1.call(bn1.call(conv_dw.call(x)));
        h = bn2.call(conv_pw.call(se.call(h)));
        if (HasSkip) h = drop_path.call(h).add_(x, Scalars.One);
        return h.MoveToOuterDisposeScope();
    }
}
