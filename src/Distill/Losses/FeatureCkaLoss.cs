using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>1 − linear CKA between flattened student and teacher features over the batch (shapes may differ).</summary>
public sealed class FeatureCkaLoss(IReadOnlyList<FeaturePair> pairs) : FeaturePairLoss(pairs)
{
    public override string Name => "cka";

    protected override Tensor PairLoss(FeaturePair pair, Tensor s, Tensor f) => 1 - Cka.Linear(FeatureMaps.Flat(s), FeatureMaps.Flat(f));
}
