using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>Stage 0: a sequence of MBConv blocks at the stem's resolution (no downsampling). NCHW.</summary>
public sealed class ConvLayer : nn.Module<Tensor, Tensor>
{
    private readonly Sequential blocks;

    public ConvLayer(int dim, int depth, double expandRatio, IReadOnlyList<double> dropPaths) : base(nameof(ConvLayer))
    {
        blocks = nn.Sequential(Enumerable.Range(0, depth)
            .Select(i => (nn.Module<Tensor, Tensor>)new MBConv(dim, expandRatio, dropPaths[i])));
        RegisterComponents();
    }

    public Sequential Blocks => blocks;

    public override Tensor forward(Tensor x) => blocks.call(x);
}
