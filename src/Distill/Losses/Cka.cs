using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>Linear centered kernel alignment between two representations of the same N samples.</summary>
public static class Cka
{
    /// <summary>Linear CKA of X [N, p] and Y [N, q]: ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) on column-centred inputs.</summary>
    public static Tensor Linear(Tensor x, Tensor y)
    {
        var xc = x - x.mean([0], keepdim: true);
        var yc = y - y.mean([0], keepdim: true);
        var cross = yc.t().matmul(xc).pow(2).sum();
        var nx = xc.t().matmul(xc).norm();
        var ny = yc.t().matmul(yc).norm();
        return cross / (nx * ny + 1e-8);
    }
}
