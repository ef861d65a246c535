using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// Hinton et al. (2015): KL(p_teacher^T ‖ p_student^T) averaged over the batch and scaled by T² so its gradient
/// magnitude does not depend on T. TorchSharp's kl_div has no BatchMean reduction: Sum / N instead, and both
/// inputs are log-probabilities (log_target: true).
/// </summary>
public sealed class HintonKdLoss(double temperature = 4.0) : IDistillLoss
{
    public string Name => "kd";
    public bool NeedsTeacher => true;
    public double Temperature => temperature;

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels)
    {
        var t = LossChecks.Teacher(teacher, Name);
        long n = student.Logits.shape[0];
        var logP = nn.functional.log_softmax(student.Logits / temperature, 1);
        var logQ = nn.functional.log_softmax(t.Logits / temperature, 1);
        return nn.functional.kl_div(logP, logQ, log_target: true, reduction: nn.Reduction.Sum) * (temperature * temperature / n);
    }
}
