using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>Stem: two 3x3 Conv2dBN with GELU between; NCHW in, NCHW out at 1/stride resolution.</summary>
public sealed class PatchEmbed : nn.Module<Tensor, Tensor>
{
    private readonly Conv2dBN conv1;
    private readonly GELU act;
    private readonly Conv2dBN conv2;

    /// <param name="stride">Total stride, 4 (paper) or 2 (small images: the second conv keeps resolution).</param>
    public PatchEmbed(int inChannels, int embedDim, int stride) : base(nameof(PatchEmbed))
    {
        conv1 = new Conv2dBN(inChannels, embedDim / 2, 3, 2, 1);
        act = nn.GELU();
        conv2 = new Conv2dBN(embedDim / 2, embedDim, 3, stride / 2, 1);
        RegisterComponents();
    }

    public Conv2dBN Conv1 => conv1;
    public GELU Act => act;
    public Conv2dBN Conv2 => conv2;

    public override Tensor forward(Tensor x)
    {
        using var a = conv1.call(x);
        using var b = act.call(a);
        return conv2.call(b);
    }
}
