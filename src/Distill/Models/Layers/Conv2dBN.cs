using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// Conv2d without bias followed by BatchNorm2d (timm's <c>ConvNorm</c>, TinyViT's <c>Conv2d_BN</c>).
/// Kept as one module, fields <c>conv</c>/<c>bn</c>, so timm weights load by name and the exporter can fold
/// the BN into the conv.
/// </summary>
public sealed class Conv2dBN : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly BatchNorm2d bn;

    public Conv2dBN(long inChannels, long outChannels, long kernelSize = 1, long stride = 1, long padding = 0,
        long groups = 1, double bnWeightInit = 1.0) : base(nameof(Conv2dBN))
    {
        conv = nn.Conv2d(inChannels, outChannels, kernelSize, stride: stride, padding: padding, groups: groups, bias: false);
        bn = nn.BatchNorm2d(outChannels);
        using (no_grad())
        {
            // bnWeightInit = 0 on a residual branch's last BN makes each MBConv start as identity (timm).
            bn.weight.fill_(bnWeightInit);
            bn.bias!.zero_();
        }
        RegisterComponents();
    }

    public Conv2d Conv => conv;
    public BatchNorm2d Bn => bn;

    public override Tensor forward(Tensor x) => bn.call(conv.call(x));
}
