using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>Cross-entropy with the ground-truth labels, with optional label smoothing. Labels are class ids [N] or,
/// after Mixup/CutMix, distributions [N, C] (libtorch's cross_entropy takes probability targets directly).</summary>
public sealed class CrossEntropyLoss(double labelSmoothing = 0) : IDistillLoss
{
    public string Name => "ce";
    public bool NeedsTeacher => false;

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels) =>
        nn.functional.cross_entropy(student.Logits, labels, label_smoothing: labelSmoothing);
}
