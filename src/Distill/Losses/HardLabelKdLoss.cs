using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>Hard-label distillation (DeiT): cross-entropy against the teacher's argmax instead of the label.</summary>
public sealed class HardLabelKdLoss : IDistillLoss
{
    public string Name => "hard-kd";
    public bool NeedsTeacher => true;

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels)
    {
        var t = LossChecks.Teacher(teacher, Name);
        return nn.functional.cross_entropy(student.Logits, t.Logits.argmax(1));
    }
}
