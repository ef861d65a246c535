using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// Every distillation loss has this one signature over named outputs (torchdistill's design): a scalar tensor from
/// the student's outputs, the teacher's outputs (null for losses that need none) and the integer labels [N].
/// Losses are registered by name in <see cref="LossRegistry"/> and combined by <see cref="WeightedLoss"/>.
/// </summary>
public interface IDistillLoss
{
    /// <summary>Registry name (e.g. "kd", "ce").</summary>
    string Name { get; }

    /// <summary>False for label-only losses (cross-entropy), which also apply to samples without teacher targets.</summary>
    bool NeedsTeacher { get; }

    /// <summary>Student feature names this loss reads (hooks the trainer must install); empty for logit losses.</summary>
    IReadOnlyList<string> StudentFeatures => [];

    /// <summary>Teacher feature names this loss reads; empty for logit losses.</summary>
    IReadOnlyList<string> TeacherFeatures => [];

    /// <summary>Learnable parameters of the loss itself (a FitNet projector); trained with the student.</summary>
    IEnumerable<Parameter> Parameters => [];

    Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels);
}
