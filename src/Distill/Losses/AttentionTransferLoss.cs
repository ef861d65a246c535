using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// Attention transfer (Zagoruyko &amp; Komodakis, 2017): each feature map becomes a spatial attention map (mean of
/// squared activations over channels, flattened, L2-normalised); the loss is the mean squared difference of the
/// student's and teacher's maps (the student's resized to the teacher's grid).
/// </summary>
public sealed class AttentionTransferLoss(IReadOnlyList<FeaturePair> pairs) : IDistillLoss
{
    public string Name => "attention";
    public bool NeedsTeacher => true;
    public IReadOnlyList<string> StudentFeatures => [.. pairs.Select(p => p.Student)];
    public IReadOnlyList<string> TeacherFeatures => [.. pairs.Select(p => p.Teacher)];

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels)
    {
        var t = LossChecks.Teacher(teacher, Name);
        Tensor? total = null;
        foreach (var pair in FeatureMaps.Require(pairs, Name))
        {
            var s = student.Feature(pair.Student, "student");
            var f = t.Feature(pair.Teacher, "teacher");
            FeatureMaps.RequireRank4(s, Name, pair.Student);
            FeatureMaps.RequireRank4(f, Name, pair.Teacher);
            var loss = (Map(FeatureMaps.Resize(s, f.shape[2], f.shape[3])) - Map(f)).pow(2).mean();
            total = total is null ? loss : total + loss;
        }
        return total! / pairs.Count;
    }

    public static Tensor Map(Tensor f) => nn.functional.normalize(f.pow(2).mean([1]).reshape(f.shape[0], -1), dim: 1);
}
