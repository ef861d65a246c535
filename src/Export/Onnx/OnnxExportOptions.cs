namespace Edge.Export.Onnx;

/// <summary>Options of <see cref="OnnxExporter.Export"/>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>
    /// ai.onnx opset. 17 is the minimum (LayerNormalization). From 20 GELU is one <c>Gelu</c> node; below, it
    /// is written as x * 0.5 * (1 + erf(x / sqrt 2)), which ONNX Runtime fuses back into one kernel.
    /// </summary>
    public int Opset { get; init; } = 17;

    /// <summary>Per-sample input shape [C, H, W]; null takes it from the student's config.</summary>
    public long[]? InputShape { get; init; }

    public string InputName { get; init; } = "input";
    public string OutputName { get; init; } = "logits";

    /// <summary>Name of the dynamic batch dimension in the graph's input and output.</summary>
    public string BatchDimName { get; init; } = "batch";

    /// <summary>Run the graph passes (BN folding, constant folding, reshape chains, dead nodes).</summary>
    public bool Optimize { get; init; } = true;

    /// <summary>Extra key/value pairs for the model's metadata_props.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
