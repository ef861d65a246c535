namespace Edge.Export.Onnx;

/// <summary>Options of <see cref="OnnxExporter.Export"/>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>
    /// ai.onnx opset. 17 is the minimum (LayerNormalization). From 20 GELU is one <c>Gelu</c> node; below, it
    /// is written as x * 0.5 * (1 + erf(x / sqrt 2)), which ONNX Runtime fuses back into one kernel.
    /// Default 20: ONNX Runtime 1.31 runs it, the graph has 28% fewer nodes (tinyvit-quick-32: 146 vs 202) and
    /// it was as fast or faster (bench/Export, then a test behind EDGE_BENCH; 2 threads, busy machine: batch 64 ~2000-2280 vs
    /// ~1700-1890 img/s; batch 1 ~1.1-1.2 ms either way). Use 17 for consumers that predate opset 20.
    /// </summary>
    public int Opset { get; init; } = 20;

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
