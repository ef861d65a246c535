using Edge.Core;
using Edge.Onnx.Proto;

namespace Edge.Onnx;

/// <summary>The inputs a caller feeds (graph inputs that are not initializers).</summary>
public static class ModelInputs
{
    public static IEnumerable<ValueInfoProto> Feeds(ModelProto model)
    {
        var inits = new HashSet<string>(model.Graph.Initializer.Select(i => i.Name));
        return model.Graph.Input.Where(i => !inits.Contains(i.Name));
    }

    public static bool IsFloat(ValueInfoProto v) =>
        v.Type?.TensorType is { } t && t.ElemType == (int)TensorProto.Types.DataType.Float;

    public static ValueInfoProto SingleFloatInput(ModelProto model)
    {
        var floats = Feeds(model).Where(IsFloat).ToArray();
        return floats.Length switch
        {
            1 => floats[0],
            0 => throw new EdgeException("the model has no float32 input: only float models can be quantized or converted"),
            _ => throw new EdgeException($"the model has {floats.Length} float32 inputs ({string.Join(", ", floats.Select(f => f.Name))}); Edge handles single-input models (the quantizer's calibration source can name the one to feed)"),
        };
    }
}
