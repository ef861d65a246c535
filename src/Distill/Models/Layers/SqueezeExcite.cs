using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// Squeeze-excitation (timm's <c>_efficientnet_blocks.SqueezeExcite</c>): global average pool, 1x1 conv down to
/// <c>reduced</c> channels (bias), activation, 1x1 conv back (bias), gate (sigmoid or hard sigmoid), then the input
/// scaled per channel. Fields <c>conv_reduce</c>, <c>conv_expand</c> as timm's state dict. NCHW in and out.
/// </summary>
public sealed class SqueezeExcite : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv_reduce;
    private readonly nn.Module<Tensor, Tensor> act1;
    private readonly Conv2d conv_expand;
    private readonly nn.Module<Tensor, Tensor> gate;

    public SqueezeExcite(int channels, int reduced, string activation, string gate) : base(nameof(SqueezeExcite))
    {
        conv_reduce = nn.Conv2d(channels, reduced, 1, bias: true);
        act1 = Activations.Create(activation);
        conv_expand = nn.Conv2d(reduced, channels, 1, bias: true);
        this.gate = Activations.CreateGate(gate);
        RegisterComponents();
    }

    public Conv2d ConvReduce => conv_reduce;
    public nn.Module<Tensor, Tensor> Act => act1;
    public Conv2d ConvExpand => conv_expand;
    public nn.Module<Tensor, Tensor> Gate => gate;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var s = x.mean([2, 3], keepdim: true);
        s = gate.call(conv_expand.call(act1.call(conv_reduce.call(s))));
        return x.mul(s).MoveToOuterDisposeScope();
    }
}
