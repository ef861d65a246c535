using Edge.Export.Quantize;
using Edge.Export.Quantize.Calibration;

namespace Edge.Bench.Quantize;

/// <summary>Named quantizer configurations the benchmark compares.</summary>
internal static class Variants
{
    public static bool NeedsCalibration(string variant) => variant != "dynamic";

    public static QuantizeOptions Options(string variant) => variant switch
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
        "dynamic" => new() { Mode = QuantizationMode.Dynamic },
        "dynamic-conv" => new() { Mode = QuantizationMode.Dynamic, DynamicConv = true },
        _ => throw new ArgumentException($"unknown variant {variant}; known: qop-minmax, qdq-minmax, qop-percentile, qdq-percentile, qop-entropy, qop-s8s8, qop-pertensor, qop-linear, qop-convonly, dynamic, dynamic-conv"),
    };
}
