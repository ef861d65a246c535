namespace Edge.Quantize.Sensitivity;

public sealed record SensitivityOptions
{
    /// <summary>Largest accepted drop of the metric from fp32, in the metric's own units (e.g. 0.3 top-1 points).</summary>
    public double MaxDrop { get; init; } = 0.3;

    /// <summary>At most this many layers are put back in float before giving up.</summary>
    public int MaxFloatLayers { get; init; } = 16;

    /// <summary>Op types whose quantized nodes are candidates to keep in float.</summary>
    public IReadOnlyList<string> CandidateOpTypes { get; init; } = ["Conv", "MatMul", "Gemm", "Add", "Mul", "GlobalAveragePool", "AveragePool", "Sigmoid", "HardSigmoid", "HardSwish", "Concat"];

    public void Validate()
    {
        if (!(MaxDrop >= 0) || double.IsInfinity(MaxDrop)) throw new Edge.Core.EdgeException($"sensitivity budget must be a finite number ≥ 0, got {MaxDrop}");
        if (MaxFloatLayers < 0) throw new Edge.Core.EdgeException($"sensitivity max float layers must be ≥ 0, got {MaxFloatLayers}");
    }
}
