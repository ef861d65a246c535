using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// Decoupled KD (Zhao et al., CVPR 2022): α·TCKD (binary target vs. rest KL) + β·NCKD (KL over the non-target
/// classes), both at temperature T and scaled by T².
/// </summary>
public sealed class DkdLoss(double alpha = 1.0, double beta = 8.0, double temperature = 4.0) : IDistillLoss
{
    public string Name => "dkd";
    public bool NeedsTeacher => true;

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels)
    {
        var t = LossChecks.Teacher(teacher, Name);
        long n = student.Logits.shape[0];
        var gt = nn.functional.one_hot(LossChecks.HardLabels(labels), student.Logits.shape[1]).to_type(ScalarType.Bool);
        var ps = nn.functional.softmax(student.Logits / temperature, 1);
        var pt = nn.functional.softmax(t.Logits / temperature, 1);
        // Target-class KD: [p_target, 1 − p_target] for both.
        var bs = stack([(ps * gt).sum(1), (ps * gt.logical_not()).sum(1)], 1).clamp_min(1e-8);
        var bt = stack([(pt * gt).sum(1), (pt * gt.logical_not()).sum(1)], 1).clamp_min(1e-8);
        var tckd = nn.functional.kl_div(bs.log(), bt.log(), log_target: true, reduction: nn.Reduction.Sum) / n;
        // Non-target KD: softmax over the other classes (target masked with a large negative logit).
        var mask = gt.to_type(ScalarType.Float32) * 1000.0;
        var logS = nn.functional.log_softmax(student.Logits / temperature - mask, 1);
        var logT = nn.functional.log_softmax(t.Logits / temperature - mask, 1);
        var nckd = nn.functional.kl_div(logS, logT, log_target: true, reduction: nn.Reduction.Sum) / n;
        return (alpha * tckd + beta * nckd) * (temperature * temperature);
    }
}
