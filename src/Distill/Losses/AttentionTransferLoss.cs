using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// Attention transfer (Zagoruyko &amp; Komodakis, 2017): each feature map becomes a spatial attention map (mean of
/// squared activations over channels, flattened, L2-normalised); the loss is the mean squared difference of the
/// student's and teacher's maps (the student's resized to the teacher's grid).
/// </summary>
public sealed class AttentionTransferLoss(IReadOnlyList<FeaturePair> pairs) : FeaturePairLoss(pairs)
{
    public override string Name => "attention";

    protected override Tensor PairLoss(FeaturePair pair, Tensor s, Tensor f)
    {
        FeatureMaps.RequireRank4(s, Name, pair.Student);
        FeatureMaps.RequireRank4(f, Name, pair.Teacher);
        return (Map(FeatureMaps.Resize(s, f.shape[2], f.shape[3])) - Map(f)).pow(2).mean();
    }

    public static Tensor Map(Tensor f) => nn.functional.normalize(f.pow(2).mean([1]).reshape(f.shape[0], -1), dim: 1);
}
