using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// timm's <c>NormMlpClassifierHead</c> without hidden layer, as TinyViT uses it: global average pool over
/// H, W of an NCHW map, LayerNorm over channels (<c>head.norm</c>, eps 1e-5), Linear (<c>head.fc</c>).
/// Older timm / the official code named the norm <c>norm_head</c>.
/// </summary>
public sealed class ClassifierHead : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm;
    private readonly Linear fc;

    public ClassifierHead(int inFeatures, int numClasses) : base(nameof(ClassifierHead))
    {
        norm = nn.LayerNorm(inFeatures, eps: 1e-5);
        fc = nn.Linear(inFeatures, numClasses);
        TimmInit.Linear(fc);
        RegisterComponents();
    }

    public LayerNorm Norm => norm;
    public Linear Fc => fc;

    public override Tensor forward(Tensor x)
    {
        using var pooled = x.mean([2, 3]);
        using var normed = norm.call(pooled);
        return fc.call(normed);
    }
}
