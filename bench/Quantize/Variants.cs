using Edge.Quantize;
using Edge.Quantize.Calibration;
using Edge.Onnx;
using Edge.Onnx.Graph;
using Edge.Quantize.Passes;

namespace Edge.Bench.Quantize;

/// <summary>Named quantizer configurations the benchmark compares.</summary>
internal static class Variants
{
    private const string PointwiseConv = "pointwise-conv-matmul";
    private const string TokenConv = "token-depthwise-conv";
    private const string Int8Conv = "int8-conv-weights";
    private const string ChannelsLast = "channels-last-conv-io";

    /// <summary>
    /// The quantizer runs of a variant, in order. Staged variants mix modes the quantizer applies one at a time:
    /// "mixed-*" first rewrites the graph and quantizes the remaining convs statically (QLinearConv, calibrated),
    /// then makes the MatMuls dynamic int8 on that output.
    /// </summary>
    public static IReadOnlyList<QuantizeOptions> Steps(string variant) => variant switch
    {
        "mixed-tok" => [
            new() { Mode = QuantizationMode.StaticQOperator, OpTypes = ["Conv"], FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv, TokenConv] },
            new() { Mode = QuantizationMode.Dynamic, OpTypes = ["MatMul", "Gemm"] }],
        "mixed-tok-pct" => [
            new() { Mode = QuantizationMode.StaticQOperator, OpTypes = ["Conv"], FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv, TokenConv], Calibration = new() { Method = CalibrationMethod.Percentile, Percentile = 99.999 } },
            new() { Mode = QuantizationMode.Dynamic, OpTypes = ["MatMul", "Gemm"] }],
        "mixed-tok-cl" => [
            new() { Mode = QuantizationMode.StaticQOperator, OpTypes = ["Conv"], FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv, TokenConv, ChannelsLast] },
            new() { Mode = QuantizationMode.Dynamic, OpTypes = ["MatMul", "Gemm"] }],
        "mixed-tok-noattn" => [
            new() { Mode = QuantizationMode.StaticQOperator, OpTypes = ["Conv"], GraphPasses = [PointwiseConv, TokenConv] },
            new() { Mode = QuantizationMode.Dynamic, OpTypes = ["MatMul", "Gemm"] }],
        _ => [Options(variant)],
    };

    public static QuantizeOptions Options(string variant) => variant.StartsWith("auto:", StringComparison.Ordinal)
        ? Edge.Quantize.Speed.AutoQuantizer.Candidates(new QuantizeOptions()).FirstOrDefault(c => c.Name == variant["auto:".Length..]).Options
            ?? throw new ArgumentException($"unknown auto candidate {variant}; known: {string.Join(", ", Edge.Quantize.Speed.AutoQuantizer.Candidates(new QuantizeOptions()).Select(c => "auto:" + c.Name))}")
        : variant switch
    {
        "qop-minmax" => new() { Mode = QuantizationMode.StaticQOperator },
        "qdq-minmax" => new() { Mode = QuantizationMode.StaticQdq },
        "qop-percentile" => new() { Mode = QuantizationMode.StaticQOperator, Calibration = new() { Method = CalibrationMethod.Percentile, Percentile = 99.999 } },
        "qdq-percentile" => new() { Mode = QuantizationMode.StaticQdq, Calibration = new() { Method = CalibrationMethod.Percentile, Percentile = 99.999 } },
        "qop-entropy" => new() { Mode = QuantizationMode.StaticQOperator, Calibration = new() { Method = CalibrationMethod.Entropy } },
        "qop-s8s8" => new() { Mode = QuantizationMode.StaticQOperator, ActivationType = QuantType.Int8 },
        "qop-pertensor" => new() { Mode = QuantizationMode.StaticQOperator, PerChannel = false },
        "qop-linear" => new() { Mode = QuantizationMode.StaticQOperator, OpTypes = ["MatMul", "Gemm"] },
        "qop-convonly" => new() { Mode = QuantizationMode.StaticQOperator, OpTypes = ["Conv", "Relu"] },
        "fp32-attn" => new() { Mode = QuantizationMode.Dynamic, OpTypes = [], FuseAttention = AttentionForm.Attention },
        "dynamic-attn" => new() { Mode = QuantizationMode.Dynamic, FuseAttention = AttentionForm.Attention },
        "fp32-fused" => new() { Mode = QuantizationMode.Dynamic, OpTypes = [], FuseAttention = AttentionForm.MultiHeadAttention },
        "dynamic-fused" => new() { Mode = QuantizationMode.Dynamic, FuseAttention = AttentionForm.MultiHeadAttention },
        "qop-linear-fused" => new() { Mode = QuantizationMode.StaticQOperator, OpTypes = ["MatMul", "Gemm"], FuseAttention = AttentionForm.MultiHeadAttention },
        "qop-fused" => new() { Mode = QuantizationMode.StaticQOperator, FuseAttention = AttentionForm.MultiHeadAttention },
        "dynamic" => new() { Mode = QuantizationMode.Dynamic },
        // 1x1 convs as MatMuls (int8 in the quantized forms); fp32-pw is the same rewrite with nothing quantized.
        "fp32-pw" => new() { Mode = QuantizationMode.Dynamic, OpTypes = [], FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv] },
        "dynamic-pw" => new() { Mode = QuantizationMode.Dynamic, FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv] },
        "dynamic-pw-noattn" => new() { Mode = QuantizationMode.Dynamic, GraphPasses = [PointwiseConv] },
        "dynamic-attn-pw" => new() { Mode = QuantizationMode.Dynamic, FuseAttention = AttentionForm.Attention, GraphPasses = [PointwiseConv] },
        "fp32-tok" => new() { Mode = QuantizationMode.Dynamic, OpTypes = [], FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv, TokenConv] },
        "dynamic-tok" => new() { Mode = QuantizationMode.Dynamic, FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv, TokenConv] },
        "dynamic-tok-noattn" => new() { Mode = QuantizationMode.Dynamic, GraphPasses = [PointwiseConv, TokenConv] },
        "fp32-w8" => new() { Mode = QuantizationMode.Dynamic, OpTypes = [], GraphPasses = [Int8Conv] },
        "dynamic-tok-w8" => new() { Mode = QuantizationMode.Dynamic, FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv, TokenConv, Int8Conv] },
        "dynamic-w8" => new() { Mode = QuantizationMode.Dynamic, FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [Int8Conv] },
        "dynamic-tok-w8-noattn" => new() { Mode = QuantizationMode.Dynamic, GraphPasses = [PointwiseConv, TokenConv, Int8Conv] },
        "qop-linear-pw" => new() { Mode = QuantizationMode.StaticQOperator, OpTypes = ["MatMul", "Gemm"], FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv] },
        "fp32-cl" => new() { Mode = QuantizationMode.Dynamic, OpTypes = [], GraphPasses = [ChannelsLast] },
        "fp32-tok-cl" => new() { Mode = QuantizationMode.Dynamic, OpTypes = [], FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv, TokenConv, ChannelsLast] },
        "dynamic-tok-w8-cl" => new() { Mode = QuantizationMode.Dynamic, FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv, TokenConv, Int8Conv, ChannelsLast] },
        "dynamic-tok-w8-cl-noattn" => new() { Mode = QuantizationMode.Dynamic, GraphPasses = [PointwiseConv, TokenConv, Int8Conv, ChannelsLast] },
        "dynamic-pw-w8-cl" => new() { Mode = QuantizationMode.Dynamic, FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv, Int8Conv, ChannelsLast] },
        "qdq-linear-cl" => new() { Mode = QuantizationMode.StaticQdq, OpTypes = ["MatMul", "Gemm"], FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv, TokenConv, Int8Conv, ChannelsLast] },
        "qop-linear-cl" => new() { Mode = QuantizationMode.StaticQOperator, OpTypes = ["MatMul", "Gemm"], FuseAttention = AttentionForm.MultiHeadAttention, GraphPasses = [PointwiseConv, TokenConv, Int8Conv, ChannelsLast] },
        "fp32-fused-mha" => new() { Mode = QuantizationMode.Dynamic, OpTypes = [], FuseAttention = AttentionForm.MultiHeadAttention },
        "dynamic-conv" => new() { Mode = QuantizationMode.Dynamic, DynamicConv = true },
        _ => throw new ArgumentException($"unknown variant {variant}; known: fp32-cl, fp32-tok-cl, dynamic-tok-w8-cl, dynamic-tok-w8-cl-noattn, fp32-pw, dynamic-pw, dynamic-pw-noattn, dynamic-attn-pw, fp32-tok, dynamic-tok, dynamic-tok-noattn, fp32-w8, dynamic-w8, dynamic-tok-w8, dynamic-tok-w8-noattn, qop-linear-pw, mixed-tok, mixed-tok-pct, mixed-tok-noattn, qop-minmax, qdq-minmax, qop-percentile, qdq-percentile, qop-entropy, qop-s8s8, qop-pertensor, qop-linear, qop-convonly, dynamic, dynamic-conv"),
    };
}
