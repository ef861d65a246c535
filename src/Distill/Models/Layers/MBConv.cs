using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// Inverted residual block of stage 0: 1x1 expand, 3x3 depthwise, 1x1 project (BN weight 0, so the block
/// starts as identity), drop path, residual add, GELU. NCHW in and out.
/// </summary>
public sealed class MBConv : nn.Module<Tensor, Tensor>
{
    private readonly Conv2dBN conv1;
    private readonly GELU act1;
    private readonly Conv2dBN conv2;
    private readonly GELU act2;
    private readonly Conv2dBN conv3;
    private readonly GELU act3;
    private readonly DropPath drop_path;

    public MBConv(int channels, double expandRatio, double dropPath) : base(nameof(MBConv))
    {
        int hidden = (int)(channels * expandRatio);
        conv1 = new Conv2dBN(channels, hidden, 1);
        act1 = nn.GELU();
        conv2 = new Conv2dBN(hidden, hidden, 3, 1, 1, groups: hidden);
        act2 = nn.GELU();
        conv3 = new Conv2dBN(hidden, channels, 1, bnWeightInit: 0.0);
        act3 = nn.GELU();
        drop_path = new DropPath(dropPath);
        RegisterComponents();
    }

    public Conv2dBN Conv1 => conv1;
    public Conv2dBN Conv2 => conv2;
    public Conv2dBN Conv3 => conv3;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = act1.call(conv1.call(x));
        h = act2.call(conv2.call(h));
        h = drop_path.call(conv3.call(h));
        return act3.call(h.add_(x, Scalars.One)).MoveToOuterDisposeScope();
    }
}
