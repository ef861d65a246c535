namespace Edge.Export.Quantize;

public enum QuantizationMode
{
    /// <summary>Int8 weights, activations quantized at run time (no calibration): MatMul/Gemm, optionally Conv.</summary>
    Dynamic,
    /// <summary>Static int8 as QuantizeLinear/DequantizeLinear pairs around float ops; ONNX Runtime fuses them.</summary>
    StaticQdq,
    /// <summary>Static int8 as explicit integer ops (QLinearConv, QLinearMatMul, QGemm, QLinearAdd, ...).</summary>
    StaticQOperator,
}
