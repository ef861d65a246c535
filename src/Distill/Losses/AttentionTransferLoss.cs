using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// Attention transfer (Zagoruyko &amp; Komodakis, 2017; mdistiller's AT with p = 2): each feature map becomes a
/// spatial attention map (mean of squared activations over channels, flattened, L2-normalised per sample); the loss
/// is the mean squared difference of the student's and teacher's maps, the larger map first average-pooled to the
/// smaller one's grid. On attention probabilities [N, heads, L, L] (a <c>:attn</c> feature) the heads play the
/// channels, so the map is the mean squared attention each query gives each key.
/// </summary>
public sealed class AttentionTransferLoss(IReadOnlyList<FeaturePair> pairs) : FeaturePairLoss(pairs)
{
    public override string Name => "attention";

    protected override Tensor PairLoss(FeaturePair pair, Tensor s, Tensor f)
    {
        FeatureMaps.RequireRank4(s, Name, pair.Student);
        FeatureMaps.RequireRank4(f, Name, pair.Teacher);
        var (ps, pf) = FeatureMaps.OnSmallerGrid(s, f);
        return (Map(ps) - Map(pf)).pow(2).mean();
    }

    public static Tensor Map(Tensor f) => nn.functional.normalize(f.pow(2).mean([1]).reshape(f.shape[0], -1), dim: 1);
}
