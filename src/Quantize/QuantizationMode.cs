namespace Edge.Quantize;

public enum QuantizationMode
{
    /// <summary>Int8 weights, activations quantized at run time (no calibration): MatMul/Gemm, optionally Conv.</summary>
    Dynamic,
    /// <summary>Static int8 as QuantizeLinear/DequantizeLinear pairs around float ops; ONNX Runtime fuses them.</summary>
    StaticQdq,
    /// <summary>Static int8 as explicit integer ops (QLinearConv, QLinearMatMul, QGemm, QLinearAdd, ...).</summary>
    StaticQOperator,
    /// <summary>
    /// Chosen by measurement (<see cref="Speed.AutoQuantizer"/>): the fastest of the forms above within the accuracy
    /// budget, then a per-layer speed search. Not a form of its own: <see cref="OnnxQuantizer"/> refuses it.
    /// </summary>
    Auto,
}
