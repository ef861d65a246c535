using Edge.Core.Preprocessing;

namespace Edge.Distill.Teachers;

/// <summary>
/// A model the student learns from. Every teacher takes the preprocessed student input ([batch, C, H, W] float32,
/// the same tensors the student sees) and returns logits, so the trainer never knows which kind it has.
/// Implementations are safe to call from one thread at a time.
/// </summary>
public interface ITeacher : IDisposable
{
    /// <summary>Short description for logs and manifests (file name, ensemble members).</summary>
    string Description { get; }

    int NumClasses { get; }

    /// <summary>Names of the intermediate features each <see cref="Run"/> returns besides the logits.</summary>
    IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Throws an <see cref="Edge.Core.EdgeException"/> naming both shapes when the teacher cannot take
    /// tensors made by <paramref name="spec"/>.</summary>
    void CheckInput(PreprocessSpec spec, string what);

    TeacherOutputs Run(float[] input, int batch);
}
