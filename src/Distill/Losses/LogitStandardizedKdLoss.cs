using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// Logit-standardised KD (Sun et al., CVPR 2024, "Logit Standardization in Knowledge Distillation"): each row of the
/// student's and the teacher's logits is z-scored, (z − mean) / (1e-7 + std) with the unbiased std as in the authors'
/// code, before Hinton KD at the base temperature (the authors' default 2, their recipe weighs the term 9). The
/// student then matches the teacher's logit relations rather than their range, which a small student cannot reach.
/// </summary>
public sealed class LogitStandardizedKdLoss(double temperature = 2.0) : IDistillLoss
{
    public string Name => "ls-kd";
    public bool NeedsTeacher => true;

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels)
    {
        var t = LossChecks.Teacher(teacher, Name);
        return HintonKdLoss.SoftTargetKl(Standardize(student.Logits), Standardize(t.Logits), temperature);
    }

    /// <summary>(z − mean) / (1e-7 + std) over each row (the class axis).</summary>
    public static Tensor Standardize(Tensor logits)
    {
        var mean = logits.mean([1], keepdim: true);
        var std = logits.std(1, unbiased: true, keepdim: true);
        return (logits - mean) / (std + 1e-7);
    }
}
