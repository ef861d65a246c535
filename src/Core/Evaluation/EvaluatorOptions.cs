namespace Edge.Core.Evaluation;

public sealed record EvaluatorOptions
{
    /// <summary>Images per inference call (ONNX Runtime is most efficient at 64–256 on CPU).</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Timed batch-1 calls per model for the latency figures; 0 skips latency.</summary>
    public int LatencySamples { get; init; } = 50;

    /// <summary>Untimed batch-1 calls before timing starts.</summary>
    public int LatencyWarmup { get; init; } = 5;

    /// <summary>Logits to reuse across evaluations (null: none kept).</summary>
    public LogitCache? Cache { get; init; }
}
