using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// Patch-wise CKA (RCKA's PCKA): both maps are brought to the smaller spatial size, cut into patch × patch tiles
/// that cover the whole map (the last row and column of tiles shorter when a side is not a multiple of the patch;
/// one tile when the map is smaller than a patch), and 1 − CKA over the batch is averaged over the tiles, so each
/// region is aligned on its own.
/// </summary>
public sealed class PatchCkaLoss(IReadOnlyList<FeaturePair> pairs, int patch = 16) : FeaturePairLoss(pairs)
{
    public override string Name => "pcka";

    protected override Tensor PairLoss(FeaturePair pair, Tensor s, Tensor f)
    {
        FeatureMaps.RequireRank4(s, Name, pair.Student);
        FeatureMaps.RequireRank4(f, Name, pair.Teacher);
        if (patch < 1) throw new Edge.Core.EdgeException($"the PCKA patch size must be at least 1, got {patch}");
        (s, f) = FeatureMaps.OnSmallerGrid(s, f);
        long h = s.shape[2], w = s.shape[3];
        Tensor? sum = null;
        int tiles = 0;
        for (long y = 0; y < h; y += patch)
            for (long x = 0; x < w; x += patch)
            {
                var rows = TensorIndex.Slice(y, Math.Min(h, y + patch));
                var cols = TensorIndex.Slice(x, Math.Min(w, x + patch));
                var term = 1 - Cka.Linear(FeatureMaps.Flat(s[.., .., rows, cols]), FeatureMaps.Flat(f[.., .., rows, cols]));
                sum = sum is null ? term : sum + term;
                tiles++;
            }
        return sum! / tiles;
    }
}
