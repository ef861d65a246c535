namespace Edge.Export.Onnx;

/// <summary>What <see cref="OnnxExporter.Export"/> wrote.</summary>
public sealed record OnnxExportResult(
    string Path,
    int Opset,
    int NodeCount,
    int InitializerCount,
    long FileSizeBytes,
    IReadOnlyDictionary<string, int> OpCounts)
{
    public override string ToString() =>
        $"{Path}: opset {Opset}, {NodeCount} nodes ({string.Join(", ", OpCounts.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value}"))}), {FileSizeBytes / 1024.0:F0} KiB";
}
