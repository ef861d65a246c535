using Edge.Core.Preprocessing;
using Edge.Distill.Data;

namespace Edge.Distill.Teachers;

/// <summary>
/// A model the student learns from. A teacher reads its own view of each batch (<see cref="ViewBatch.View"/> with its
/// preprocessing: an ensemble's members may each want another size, colour or normalisation than each other and the
/// student) and returns targets in logits form (<see cref="TeacherTargets"/>), in the class order of
/// <see cref="Labels"/>, so the trainer never knows which kind it has. Safe to call from one thread at a time.
/// </summary>
public interface ITeacher : IDisposable
{
    /// <summary>Short description for logs and manifests (file name, ensemble members).</summary>
    string Description { get; }

    int NumClasses { get; }

    /// <summary>Class name of each target index (from the teacher's manifest or run record).</summary>
    IReadOnlyList<string> Labels { get; }

    /// <summary>Names of the intermediate features each <see cref="Run"/> returns besides the targets.</summary>
    IReadOnlyList<string> FeatureNames { get; }

    /// <summary>One card per model (an ensemble: per member).</summary>
    IReadOnlyList<TeacherCard> Cards { get; }

    TeacherOutputs Run(ViewBatch views);
}

public static class TeacherExtensions
{
    /// <summary>The distinct preprocessing specs the teacher reads.</summary>
    public static IReadOnlyList<PreprocessSpec> Specs(this ITeacher teacher)
    {
        var specs = new List<PreprocessSpec>();
        foreach (var card in teacher.Cards)
            if (!specs.Any(s => s.SameAs(card.Preprocess))) specs.Add(card.Preprocess);
        return specs;
    }

    /// <summary>A hash over every member's identity: what a cache made by this teacher is checked against.</summary>
    public static string Fingerprint(this ITeacher teacher) =>
        Edge.Core.IO.FileHash.Sha256(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", teacher.Cards.Select(c => c.Identity))));
}
