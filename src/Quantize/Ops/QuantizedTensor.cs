
namespace Edge.Quantize.Ops;

/// <summary>
/// The int8 form of a float tensor. <see cref="FloatName"/> is the float tensor it stands for;
/// <see cref="QuantName"/> holds the integers; in QDQ form float consumers read <see cref="DequantName"/>.
/// </summary>
public sealed record QuantizedTensor(string FloatName, string QuantName, string ScaleName, string ZeroPointName, QuantParams Params, string DequantName);

/// <summary>An int8 weight: per-tensor (<see cref="Axis"/> = -1) or one scale per slice along <see cref="Axis"/>.</summary>
public sealed record QuantizedWeight(string SourceName, string QuantName, string ScaleName, string ZeroPointName, float[] Scales, int Axis, QuantType Type, long[] Dims);

/// <summary>Where a quantized op's output goes: its float name (after a folded ReLU) and parameters.</summary>
public sealed record OutputPlan(string FloatName, QuantParams Params, Edge.Onnx.Proto.NodeProto? Folded);
