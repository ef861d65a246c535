using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>Attention stage: PatchMerging (NCHW) then TinyViT blocks on NHWC; NCHW in and out.</summary>
public sealed class TinyVitStage : nn.Module<Tensor, Tensor>
{
    private readonly PatchMerging downsample;
    private readonly Sequential blocks;

    public TinyVitStage(int inDim, int outDim, int depth, int numHeads, int windowSize, double mlpRatio,
        IReadOnlyList<double> dropPaths, int localConvSize) : base(nameof(TinyVitStage))
    {
        downsample = new PatchMerging(inDim, outDim);
        blocks = nn.Sequential(Enumerable.Range(0, depth).Select(i => (nn.Module<Tensor, Tensor>)
            new TinyVitBlock(outDim, numHeads, windowSize, mlpRatio, dropPaths[i], localConvSize)));
        RegisterComponents();
    }

    public PatchMerging Downsample => downsample;
    public Sequential Blocks => blocks;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = blocks.call(downsample.call(x).permute(0, 2, 3, 1));
        return y.permute(0, 3, 1, 2).MoveToOuterDisposeScope();
    }
}
