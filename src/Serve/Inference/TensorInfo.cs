using Edge.Serve.Tensors;

namespace Edge.Serve.Inference;

/// <summary>A model input or output as the ONNX file declares it: name, v2 datatype, and dims (−1 where dynamic).</summary>
public sealed record TensorInfo(string Name, TensorDataType DataType, long[] Shape)
{
    /// <summary>True when the first dimension is dynamic, so requests can be stacked along it.</summary>
    public bool HasBatchDim => Shape.Length > 0 && Shape[0] < 0;
}
