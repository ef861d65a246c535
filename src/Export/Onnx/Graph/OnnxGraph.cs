using Edge.Onnx.Proto;

namespace Edge.Export.Onnx.Graph;

/// <summary>
/// The graph under construction: nodes in topological order (exporters append in execution order),
/// initializers as arrays, and the shape of every value the exporters produced. <see cref="OnnxModelWriter"/> turns
/// it into a ModelProto, on which the graph passes (Edge.Onnx.Passes, shared with the quantizer) then run.
/// </summary>
public sealed class OnnxGraph
{
    public List<NodeProto> Nodes { get; } = [];
    public Dictionary<string, ConstTensor> Initializers { get; } = [];
    public List<OnnxValue> Inputs { get; } = [];
    public List<OnnxValue> Outputs { get; } = [];
    public Dictionary<string, long[]> Shapes { get; } = [];

    /// <summary>Names of graph outputs.</summary>
    public HashSet<string> OutputNames => [.. Outputs.Select(o => o.Name)];

    /// <summary>Points every node reading <paramref name="from"/> at <paramref name="to"/> (the builder renaming an output).</summary>
    public void ReplaceUses(string from, string to)
    {
        foreach (var node in Nodes)
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == from) node.Input[i] = to;
    }
}
