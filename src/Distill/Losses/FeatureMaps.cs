using Edge.Core;
using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>Shape helpers shared by the feature losses.</summary>
internal static class FeatureMaps
{
    public static IReadOnlyList<FeaturePair> Require(IReadOnlyList<FeaturePair> pairs, string loss) =>
        pairs.Count > 0
            ? pairs
            : throw new EdgeException($"loss '{loss}' needs feature pairs (student=teacher tensor names), e.g. --feature stages.2=layer3");

    /// <summary>[N, ...] → [N, D].</summary>
    public static Tensor Flat(Tensor t) => t.reshape(t.shape[0], -1);

    /// <summary>Brings a 4-D map to <paramref name="h"/> × <paramref name="w"/> (average pooling down, bilinear up).</summary>
    public static Tensor Resize(Tensor t, long h, long w)
    {
        if (t.shape[2] == h && t.shape[3] == w) return t;
        return t.shape[2] >= h && t.shape[3] >= w
            ? nn.functional.adaptive_avg_pool2d(t, [h, w])
            : nn.functional.interpolate(t, [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
    }

    /// <summary>Both maps on the smaller of their two grids, the larger one average-pooled down (mdistiller's attention
    /// transfer): pooling never invents detail that a map does not have, as upsampling the smaller one would.</summary>
    public static (Tensor A, Tensor B) OnSmallerGrid(Tensor a, Tensor b)
    {
        long h = Math.Min(a.shape[2], b.shape[2]), w = Math.Min(a.shape[3], b.shape[3]);
        return (Resize(a, h, w), Resize(b, h, w));
    }

    public static void RequireRank4(Tensor t, string loss, string name)
    {
        if (t.dim() != 4)
            throw new EdgeException($"loss '{loss}' needs a [N, C, H, W] feature map but '{name}' has shape [{string.Join(", ", t.shape)}]");
    }
}
