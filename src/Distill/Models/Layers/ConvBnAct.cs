using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// Conv, BatchNorm, activation, with a residual when stride 1 keeps the shape (timm's
/// <c>_efficientnet_blocks.ConvBnAct</c>, fields <c>conv</c>, <c>bn1</c>): MobileNetV3's last 1x1 stage. NCHW.
/// </summary>
public sealed class ConvBnAct : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn1;
    private readonly nn.Module<Tensor, Tensor> act1;
    private readonly DropPath drop_path;

    public ConvBnAct(int inChannels, int outChannels, int kernel, int stride, string activation, bool noSkip, double dropPath)
        : base(nameof(ConvBnAct))
    {
        conv = MobileConv.Create(inChannels, outChannels, kernel, stride);
        bn1 = nn.BatchNorm2d(outChannels);
        act1 = Activations.Create(activation);
        drop_path = new DropPath(dropPath);
        HasSkip = stride == 1 && inChannels == outChannels && !noSkip;
        RegisterComponents();
    }

    public bool HasSkip { get; }
    public Conv2d Conv => conv;
    public BatchNorm2d Bn1 => bn1;
    public nn.Module<Tensor, Tensor> Act1 => act1;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = act1.call(bn1.call(conv.call(x)));
        // Out of place: the activation (ReLU) may need its own output for the backward pass.
        if (HasSkip) h = drop_path.call(h).add(x, Scalars.One);
        return h.MoveToOuterDisposeScope();
    }
}
