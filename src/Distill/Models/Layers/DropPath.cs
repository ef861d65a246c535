using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// Stochastic depth: in training, zeroes a whole residual branch per sample with probability
/// <c>p</c> and rescales the survivors by 1/(1-p), so eval needs no correction. Identity in eval.
/// </summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>
{
    public DropPath(double p) : base(nameof(DropPath))
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "drop path rate must be in [0, 1)");
        P = p;
    }

    public double P { get; }

    public override Tensor forward(Tensor x)
    {
        if (!training || P == 0) return x.alias();
        double keep = 1 - P;
        var maskShape = new long[x.dim()];
        Array.Fill(maskShape, 1L);
        maskShape[0] = x.shape[0];
        using var mask = empty(maskShape, x.dtype, x.device).bernoulli_(keep);
        return x.div(keep).mul_(mask);
    }
}
