using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// The skeleton every feature loss shares: each (student module, teacher tensor) pair contributes one term, and the
/// loss is the mean of the terms. Subclasses say only how one pair is compared.
/// </summary>
public abstract class FeaturePairLoss(IReadOnlyList<FeaturePair> pairs) : IDistillLoss
{
    public abstract string Name { get; }
    public bool NeedsTeacher => true;
    public IReadOnlyList<string> StudentFeatures => [.. pairs.Select(p => p.Student)];
    public IReadOnlyList<string> TeacherFeatures => [.. pairs.Select(p => p.Teacher)];

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels)
    {
        var t = LossChecks.Teacher(teacher, Name);
        Tensor? total = null;
        foreach (var pair in FeatureMaps.Require(pairs, Name))
        {
            var loss = PairLoss(pair, student.Feature(pair.Student, "student"), t.Feature(pair.Teacher, "teacher"));
            total = total is null ? loss : total + loss;
        }
        return total! / pairs.Count;
    }

    /// <summary>The term for one pair: <paramref name="student"/> and <paramref name="teacher"/> are that pair's features.</summary>
    protected abstract Tensor PairLoss(FeaturePair pair, Tensor student, Tensor teacher);
}
