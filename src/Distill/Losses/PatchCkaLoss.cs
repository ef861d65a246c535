using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// Patch-wise CKA (RCKA's PCKA): both maps are brought to the smaller spatial size, cut into patch × patch tiles
/// (the whole map when smaller), and 1 − CKA is averaged over the tiles, so each region is aligned on its own.
/// </summary>
public sealed class PatchCkaLoss(IReadOnlyList<FeaturePair> pairs, int patch = 16) : FeaturePairLoss(pairs)
{
    public override string Name => "pcka";

    protected override Tensor PairLoss(FeaturePair pair, Tensor s, Tensor f)
    {
        FeatureMaps.RequireRank4(s, Name, pair.Student);
        FeatureMaps.RequireRank4(f, Name, pair.Teacher);
        long h = Math.Min(s.shape[2], f.shape[2]), w = Math.Min(s.shape[3], f.shape[3]);
        s = FeatureMaps.Resize(s, h, w);
        f = FeatureMaps.Resize(f, h, w);
        long ph = Math.Min(patch, h), pw = Math.Min(patch, w);
        Tensor? sum = null;
        int tiles = 0;
        for (long y = 0; y + ph <= h; y += ph)
            for (long x = 0; x + pw <= w; x += pw)
            {
                var cs = FeatureMaps.Flat(s[.., .., TensorIndex.Slice(y, y + ph), TensorIndex.Slice(x, x + pw)]);
                var ct = FeatureMaps.Flat(f[.., .., TensorIndex.Slice(y, y + ph), TensorIndex.Slice(x, x + pw)]);
                var term = 1 - Cka.Linear(cs, ct);
                sum = sum is null ? term : sum + term;
                tiles++;
            }
        return sum! / tiles;
    }
}
