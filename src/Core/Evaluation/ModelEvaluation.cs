using Edge.Core.Metrics;
using Edge.Core.Preprocessing;

namespace Edge.Core.Evaluation;

/// <summary>What one model answered on an evaluation set, in the set's class order, and how fast.</summary>
public sealed record ModelEvaluation(
    string Name,
    string Kind,
    string Location,
    string? Sha256,
    string Precision,
    PreprocessSpec Preprocess,
    Predictions Predictions,
    LatencyStats Latency,
    double ImagesPerSecond,
    IReadOnlyList<string> Notes);
