using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>1 − linear CKA between flattened student and teacher features over the batch (shapes may differ).</summary>
public sealed class FeatureCkaLoss(IReadOnlyList<FeaturePair> pairs) : IDistillLoss
{
    public string Name => "cka";
    public bool NeedsTeacher => true;
    public IReadOnlyList<string> StudentFeatures => [.. pairs.Select(p => p.Student)];
    public IReadOnlyList<string> TeacherFeatures => [.. pairs.Select(p => p.Teacher)];

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels)
    {
        var t = LossChecks.Teacher(teacher, Name);
        Tensor? total = null;
        foreach (var pair in FeatureMaps.Require(pairs, Name))
        {
            var cka = Cka.Linear(FeatureMaps.Flat(student.Feature(pair.Student, "student")), FeatureMaps.Flat(t.Feature(pair.Teacher, "teacher")));
            var loss = 1 - cka;
            total = total is null ? loss : total + loss;
        }
        return total! / pairs.Count;
    }
}
