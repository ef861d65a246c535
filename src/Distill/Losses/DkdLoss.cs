using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// Decoupled KD (Zhao et al., CVPR 2022; mdistiller's <c>dkd_loss</c>): α·TCKD + β·NCKD, both at temperature T and
/// scaled by T², summed over the batch and divided by N. TCKD is the KL of the binary [p_target, 1 − p_target]
/// distributions, NCKD the KL of the distributions over the non-target classes (the target logit masked). The
/// binary probabilities are taken in log space (log-sum-exp over the other classes), so a confident teacher does not
/// need a clamp. For Mixup/CutMix label distributions the loss mixes the DKD of each of the row's two classes with
/// their weights (see <see cref="TargetClasses"/>). mdistiller's warm-up factor min(epoch / 20, 1) is not applied.
/// </summary>
public sealed class DkdLoss(double alpha = 1.0, double beta = 8.0, double temperature = 4.0) : IDistillLoss
{
    public string Name => "dkd";
    public bool NeedsTeacher => true;

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels)
    {
        var t = LossChecks.Teacher(teacher, Name);
        long n = student.Logits.shape[0], c = student.Logits.shape[1];
        var targets = TargetClasses.Of(labels, student.Logits.dtype);
        long k = targets.Ids.shape[1];
        // One row per (sample, target class): [N, k, C].
        var zs = (student.Logits / temperature).unsqueeze(1).expand(n, k, c);
        var zt = (t.Logits / temperature).unsqueeze(1).expand(n, k, c);
        var gt = nn.functional.one_hot(targets.Ids, c).to_type(ScalarType.Bool);
        var tckd = BinaryKl(zs, zt, gt);
        // mdistiller's mask: −1000 on the target logit leaves the others' softmax, and its KL term is exp(−1000) ≈ 0.
        var offset = gt.to_type(zs.dtype) * 1000.0;
        var logS = nn.functional.log_softmax(zs - offset, 2);
        var logT = nn.functional.log_softmax(zt - offset, 2);
        var nckd = (logT.exp() * (logT - logS)).sum(2);
        var perTarget = alpha * tckd + beta * nckd;
        return (perTarget * targets.Weights).sum() * (temperature * temperature / n);
    }

    /// <summary>KL([p_t, 1 − p_t] of the teacher ‖ the student's), p_t the target's probability: [N, k].</summary>
    private static Tensor BinaryKl(Tensor zs, Tensor zt, Tensor gt)
    {
        var (sIn, sOut) = TargetAndRest(zs, gt);
        var (tIn, tOut) = TargetAndRest(zt, gt);
        return tIn.exp() * (tIn - sIn) + tOut.exp() * (tOut - sOut);
    }

    /// <summary>log p_target and log(1 − p_target) of logits z with the target marked in <paramref name="gt"/>.</summary>
    private static (Tensor Target, Tensor Others) TargetAndRest(Tensor z, Tensor gt)
    {
        var all = z.logsumexp(2);
        var target = (z * gt.to_type(z.dtype)).sum(2) - all;
        var rest = z.masked_fill(gt, double.NegativeInfinity).logsumexp(2) - all;
        return (target, rest);
    }
}
