using Edge.Core;

namespace Edge.Distill.Losses;

internal static class LossChecks
{
    public static DistillOutputs Teacher(DistillOutputs? teacher, string loss) =>
        teacher ?? throw new EdgeException($"loss '{loss}' needs teacher outputs but none were given");

    /// <summary>Class ids [N] from labels that Mixup/CutMix may have turned into distributions [N, C] (their
    /// dominant class): for losses defined on a single target class, like DKD.</summary>
    public static TorchSharp.torch.Tensor HardLabels(TorchSharp.torch.Tensor labels) => labels.dim() == 2 ? labels.argmax(1) : labels;
}
