using TorchSharp;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// Scalars the layers pass to libtorch, held for the life of the process: TorchSharp's own <c>a.add_(b)</c> makes a
/// temporary <c>Scalar</c> for its alpha, which a collection on another thread can finalize while libtorch reads it
/// (see <c>Edge.Distill.Training.TrainingThreadGc</c>). A static one is never finalized.
/// </summary>
internal static class Scalars
{
    public static readonly Scalar One = 1;
}
