using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>timm's <c>_init_weights</c> for TinyViT: Linear weights truncated normal (std 0.02), biases 0.
/// Convs keep PyTorch's default (kaiming uniform), LayerNorm its default (1, 0).</summary>
public static class TimmInit
{
    public static void Linear(Linear linear)
    {
        using var _ = no_grad();
        nn.init.trunc_normal_(linear.weight, std: 0.02);
        linear.bias?.zero_();
    }
}
