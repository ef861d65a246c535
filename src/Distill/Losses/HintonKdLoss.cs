using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// Hinton et al. (2015): KL(p_teacher^T ‖ p_student^T) averaged over the batch and scaled by T² so its gradient
/// magnitude does not depend on T.
/// </summary>
public sealed class HintonKdLoss(double temperature = 4.0) : IDistillLoss
{
    public string Name => "kd";
    public bool NeedsTeacher => true;
    public double Temperature => temperature;

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels) =>
        SoftTargetKl(student.Logits, LossChecks.Teacher(teacher, Name).Logits, temperature);

    /// <summary>T² · mean over rows of KL(softmax(teacher / T) ‖ softmax(student / T)). TorchSharp's kl_div has no
    /// BatchMean reduction: Sum / N instead, with both inputs as log-probabilities (log_target: true).</summary>
    public static Tensor SoftTargetKl(Tensor student, Tensor teacher, double temperature)
    {
        long n = student.shape[0];
        var logP = nn.functional.log_softmax(student / temperature, 1);
        var logQ = nn.functional.log_softmax(teacher / temperature, 1);
        return nn.functional.kl_div(logP, logQ, log_target: true, reduction: nn.Reduction.Sum) * (temperature * temperature / n);
    }
}
