using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// Downsampling between stages: 1x1 Conv2dBN to the new width, GELU, 3x3 stride-2 depthwise Conv2dBN, GELU,
/// 1x1 Conv2dBN. Output side is ceil(side / 2), as timm (a 1x1 map stays 1x1). NCHW in and out.
/// </summary>
public sealed class PatchMerging : nn.Module<Tensor, Tensor>
{
    private readonly Conv2dBN conv1;
    private readonly GELU act;
    private readonly Conv2dBN conv2;
    private readonly Conv2dBN conv3;

    public PatchMerging(int dim, int outDim) : base(nameof(PatchMerging))
    {
        conv1 = new Conv2dBN(dim, outDim, 1);
        act = nn.GELU();
        conv2 = new Conv2dBN(outDim, outDim, 3, 2, 1, groups: outDim);
        conv3 = new Conv2dBN(outDim, outDim, 1);
        RegisterComponents();
    }

    public Conv2dBN Conv1 => conv1;
    public Conv2dBN Conv2 => conv2;
    public Conv2dBN Conv3 => conv3;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = act.call(conv1.call(x));
        h = act.call(conv2.call(h));
        return conv3.call(h).MoveToOuterDisposeScope();
    }
}
