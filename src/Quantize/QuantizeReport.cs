namespace Edge.Quantize;

/// <summary>What the quantizer did, for logs and the model package manifest.</summary>
public sealed record QuantizeReport
{
    public required QuantizationMode Mode { get; init; }
    public required QuantType ActivationType { get; init; }
    public required QuantType WeightType { get; init; }
    public required bool PerChannel { get; init; }
    /// <summary>Null for dynamic quantization.</summary>
    public string? CalibrationMethod { get; init; }
    public int CalibrationSamples { get; init; }
    /// <summary>Attention subgraphs replaced by one com.microsoft Attention node (<see cref="QuantizeOptions.FuseAttention"/>).</summary>
    public int FusedAttention { get; init; }
    /// <summary>Sites each graph pass rewrote (<see cref="QuantizeOptions.GraphPasses"/>), by pass name.</summary>
    public IReadOnlyDictionary<string, int> GraphPasses { get; init; } = new Dictionary<string, int>();
    public required IReadOnlyList<QuantizedNode> Quantized { get; init; }
    public required IReadOnlyList<FloatNode> KeptInFloat { get; init; }
    public required ScaleSummary ActivationScales { get; init; }
    /// <summary>Every float tensor that has an int8 form in the output model: which tensor holds its integers, and how to read them.</summary>
    public IReadOnlyList<QuantizedActivation> Activations { get; init; } = [];
    public required ScaleSummary WeightScales { get; init; }
    public long InputBytes { get; init; }
    public long OutputBytes { get; init; }
    public string OutputPath { get; init; } = "";
    public double SizeRatio => InputBytes == 0 ? 0 : (double)OutputBytes / InputBytes;

    public override string ToString() =>
        $"{Mode} ({ActivationType} act / {WeightType} weight{(PerChannel ? ", per-channel" : "")}"
        + (CalibrationMethod is null ? "" : $", {CalibrationMethod} over {CalibrationSamples} samples")
        + $"): {Quantized.Count} nodes quantized{(FusedAttention > 0 ? $", {FusedAttention} attention blocks fused" : "")}{string.Concat(GraphPasses.Select(p => $", {p.Key} x{p.Value}"))}, {KeptInFloat.Count} kept in float; {InputBytes / 1e6:0.00} MB → {OutputBytes / 1e6:0.00} MB ({SizeRatio:P0})";
}

/// <summary>A node now running in int8, and the kernel it became (QLinearConv, QGemm, fused, ...).</summary>
public sealed record QuantizedNode(string Name, string OpType, string Kernel);

/// <summary>A float tensor of the source graph and the int8 tensor standing for it: real = (q - ZeroPoint) · Scale.</summary>
public sealed record QuantizedActivation(string FloatName, string QuantName, float Scale, int ZeroPoint, QuantType Type);

/// <summary>A node left in float and why.</summary>
public sealed record FloatNode(string Name, string OpType, string Reason);

public sealed record ScaleSummary(int Count, float Min, float Median, float Max)
{
    public static ScaleSummary Of(IEnumerable<float> scales)
    {
        var s = scales.Order().ToArray();
        return s.Length == 0 ? new ScaleSummary(0, 0, 0, 0) : new ScaleSummary(s.Length, s[0], s[s.Length / 2], s[^1]);
    }
}
