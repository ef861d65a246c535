using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>timm's <c>_init_weights</c> for TinyViT: Linear weights truncated normal (std 0.02, cut at ±2),
/// biases 0. Convs keep PyTorch's default (kaiming uniform), LayerNorm its default (1, 0).</summary>
public static class TimmInit
{
    public static void Linear(Linear linear)
    {
        using var _ = no_grad();
        // Not nn.init.trunc_normal_: in TorchSharp 0.107 it left weights constant (std 0) or NaN.
        // timm cuts at absolute ±2, i.e. 100 sigma, so normal + clamp is the same distribution.
        linear.weight.normal_(0, 0.02).clamp_(-2, 2);
        linear.bias?.zero_();
    }
}
