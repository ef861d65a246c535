using System.Globalization;
using Edge.Core;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>A loss and its weight in the composed objective.</summary>
public sealed record LossTerm(double Weight, IDistillLoss Loss);

/// <summary>
/// The training objective: a weighted sum of registered losses, built from config and printing itself as
/// <c>1.0*kd + 0.5*ce</c>. Losses that need the teacher see only the rows that have teacher outputs; label-only
/// losses see the whole batch.
/// </summary>
public sealed class WeightedLoss
{
    public WeightedLoss(IReadOnlyList<LossTerm> terms)
    {
        if (terms.Count == 0) throw new EdgeException("the loss has no terms: give at least one, e.g. kd=1");
        foreach (var t in terms)
            if (!(t.Weight >= 0) || double.IsInfinity(t.Weight))
                throw new EdgeException($"loss weight for '{t.Loss.Name}' must be a non-negative number, got {t.Weight}");
        Terms = terms;
    }

    public IReadOnlyList<LossTerm> Terms { get; }

    public bool NeedsTeacher => Terms.Any(t => t.Loss.NeedsTeacher && t.Weight > 0);

    public IReadOnlyList<string> StudentFeatures => [.. Terms.SelectMany(t => t.Loss.StudentFeatures).Distinct()];
    public IReadOnlyList<string> TeacherFeatures => [.. Terms.SelectMany(t => t.Loss.TeacherFeatures).Distinct()];
    public IEnumerable<Parameter> Parameters => Terms.SelectMany(t => t.Loss.Parameters);

    /// <summary>
    /// The weighted sum. <paramref name="teacherRows"/> (int64 indices into the batch) marks the rows that
    /// <paramref name="teacher"/> covers; null means all rows. Teacher losses are skipped when no row has targets.
    /// </summary>
    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels, Tensor? teacherRows = null)
    {
        Tensor? total = null;
        DistillOutputs? studentSub = null;
        Tensor? labelsSub = null;
        foreach (var term in Terms)
        {
            if (term.Weight == 0) continue;
            Tensor value;
            if (!term.Loss.NeedsTeacher)
                value = term.Loss.Compute(student, teacher, labels);
            else
            {
                if (teacher is null || teacher.Logits.shape[0] == 0) continue;
                if (teacherRows is null)
                    value = term.Loss.Compute(student, teacher, labels);
                else
                {
                    studentSub ??= student.Rows(teacherRows);
                    labelsSub ??= labels.index_select(0, teacherRows);
                    value = term.Loss.Compute(studentSub, teacher, labelsSub);
                }
            }
            var weighted = value * term.Weight;
            total = total is null ? weighted : total + weighted;
        }
        return total ?? zeros(1, device: student.Logits.device).sum();
    }

    public override string ToString() =>
        string.Join(" + ", Terms.Select(t => $"{t.Weight.ToString("0.0##", CultureInfo.InvariantCulture)}*{t.Loss.Name}"));
}
