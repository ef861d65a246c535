namespace Edge.Serve.Batching;

/// <summary>
/// How one model version schedules requests, read from its model configuration: <see cref="MaxBatchSize"/> 0 means
/// the model has no batch dimension (each request runs alone, as sent); otherwise requests are stacked along the
/// first dimension up to that size, and with <see cref="Merge"/> (the configuration's dynamic_batching) queued
/// requests are merged into one run. <see cref="Instances"/> runs that many executions of the session at once.
/// </summary>
public sealed record BatchPolicy
{
    public int MaxBatchSize { get; init; }
    public bool Merge { get; init; }
    public TimeSpan MaxQueueDelay { get; init; }
    public IReadOnlyList<int> PreferredBatchSizes { get; init; } = [];
    /// <summary>Samples (requests, for a model without a batch dimension) queued before new ones are refused.</summary>
    public int MaxQueueSize { get; init; } = 4096;
    public int Instances { get; init; } = 1;
}
