using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// RCKA (Zhou et al., 2024) on logits: scale · (1 − CKA(student, teacher)), with CKA over the batch (batch ×
/// batch Gram); optionally plus the inter-class term, the same on the transposed logits (class × class).
/// </summary>
public sealed class RckaLoss(double scale = 15.0, bool interClass = false) : IDistillLoss
{
    public string Name => "rcka";
    public bool NeedsTeacher => true;

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels)
    {
        var t = LossChecks.Teacher(teacher, Name);
        var loss = scale * (1 - Cka.Linear(student.Logits, t.Logits));
        if (interClass)
            loss = loss + scale * (1 - Cka.Linear(student.Logits.t(), t.Logits.t()));
        return loss;
    }
}
