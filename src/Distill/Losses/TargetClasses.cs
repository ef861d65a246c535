using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// The target classes of a batch and their weights, for losses defined on one target class per sample (DKD): class
/// ids [N] give one target of weight 1 per row; Mixup/CutMix label distributions [N, C] give their two largest
/// classes with their weights (λ and 1 − λ; exact, since a mixed row holds at most two classes), so such a loss is
/// the label-weighted mix of its value for each class, as Mixup mixes any loss that is not linear in the label.
/// </summary>
public sealed record TargetClasses(Tensor Ids, Tensor Weights)
{
    /// <summary>Classes a mixed label row can hold: its own and its Mixup/CutMix partner's.</summary>
    public const int MixedClasses = 2;

    /// <param name="labels">Class ids [N] or label distributions [N, C].</param>
    /// <returns>Ids [N, k] (int64) and weights [N, k] in <paramref name="dtype"/>, k = 1 for ids, 2 for distributions.</returns>
    public static TargetClasses Of(Tensor labels, ScalarType dtype)
    {
        if (labels.dim() == 1)
            return new(labels.unsqueeze(1), ones([labels.shape[0], 1], dtype, labels.device));
        var (weights, ids) = labels.topk((int)Math.Min(MixedClasses, labels.shape[1]), dim: 1);
        return new(ids, weights.to(dtype));
    }
}
