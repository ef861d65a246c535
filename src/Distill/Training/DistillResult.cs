using Edge.Distill.Models;

namespace Edge.Distill.Training;

/// <summary>One line of metrics.jsonl.</summary>
public sealed record EpochMetrics(
    int Epoch, double TrainLoss, double TrainImagesPerSecond, double TestTop1, double TeacherAgreement,
    double LearningRate, double Seconds);

/// <summary>
/// What a finished run hands back. <see cref="Model"/> is the trained student in eval mode; the caller owns and
/// disposes it (the exporter takes it from here). Everything is also on disk in <see cref="OutputDir"/>.
/// </summary>
public sealed record DistillResult(
    StudentModel Model, string OutputDir, string WeightsPath, string ConfigPath, string CheckpointPath,
    IReadOnlyList<EpochMetrics> Epochs, double TestTop1, double TeacherAgreement, double TeacherTop1,
    double TrainImagesPerSecond, double TeacherSeconds, double TotalSeconds, string Loss, string Teacher) : IDisposable
{
    public void Dispose() => Model.Dispose();
}
