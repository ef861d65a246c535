namespace Edge.Distill.Models;

/// <summary>
/// TinyViT variants, one data row each. The 224 rows are the paper's / timm's (drop path as timm's
/// defaults); the 32 px rows are for 1x32x32 Fashion-MNIST (10 classes).
/// </summary>
public static class TinyVitPresets
{
    private static TinyVitConfig ImageNet(int[] dims, int[] heads, double dropPath) => new()
    {
        ImageSize = 224, InChannels = 3, NumClasses = 1000,
        EmbedDims = dims, Depths = [2, 2, 6, 2], NumHeads = heads, WindowSizes = [7, 7, 14, 7],
        DropPathRate = dropPath, StemStride = 4,
    };

    /// <summary>Paper: 5.4M params (timm 5.39M).</summary>
    public static TinyVitConfig TinyVit5M => ImageNet([64, 128, 160, 320], [2, 4, 5, 10], 0.0);

    /// <summary>Paper: 11M params (timm 11.0M).</summary>
    public static TinyVitConfig TinyVit11M => ImageNet([64, 128, 256, 448], [2, 4, 8, 14], 0.1);

    /// <summary>Paper: 21M params (timm 21.2M).</summary>
    public static TinyVitConfig TinyVit21M => ImageNet([96, 192, 384, 576], [3, 6, 12, 18], 0.2);

    /// <summary>
    /// The 5M architecture on 1x32x32: stride-4 stem gives stage maps 8, 4, 2, 1, and the windows equal the
    /// map, so every attention stage is global (no padding, no partition).
    /// </summary>
    public static TinyVitConfig TinyVit5M32 => new()
    {
        ImageSize = 32, InChannels = 1, NumClasses = 10,
        EmbedDims = [64, 128, 160, 320], Depths = [2, 2, 6, 2], NumHeads = [2, 4, 5, 10], WindowSizes = [8, 4, 2, 1],
        DropPathRate = 0.0, StemStride = 4,
    };

    /// <summary>
    /// Quickstart student, 0.86 M params: the 5M layout at half width and shallower (depths 1,1,2,1).
    /// Measured training throughput (then a test behind EDGE_BENCH; now bench/TrainSpeed: forward + backward + AdamW, batch 128, 2 cores,
    /// GLIBC_TUNABLES=glibc.malloc.hugetlb=1, idle machine): ~1000 img/s (tinyvit-5m-32: ~215 img/s). Tried and
    /// rejected: depths 2,2,4,2 (1.6 M, ~400 img/s) and a stride-2 stem (4x the tokens, ~290 img/s).
    /// </summary>
    public static TinyVitConfig TinyVitQuick32 => new()
    {
        ImageSize = 32, InChannels = 1, NumClasses = 10,
        EmbedDims = [32, 64, 128, 160], Depths = [1, 1, 2, 1], NumHeads = [1, 2, 4, 5], WindowSizes = [8, 4, 2, 1],
        DropPathRate = 0.0, StemStride = 4,
    };
}
