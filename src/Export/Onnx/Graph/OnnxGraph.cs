using Edge.Onnx.Proto;

namespace Edge.Export.Onnx.Graph;

/// <summary>
/// The graph under construction: nodes in topological order (exporters append in execution order),
/// initializers as arrays, and the shape of every value the exporters produced. Passes edit it in place;
/// <see cref="OnnxModelWriter"/> turns it into a ModelProto at the end.
/// </summary>
public sealed class OnnxGraph
{
    public List<NodeProto> Nodes { get; } = [];
    public Dictionary<string, ConstTensor> Initializers { get; } = [];
    public List<OnnxValue> Inputs { get; } = [];
    public List<OnnxValue> Outputs { get; } = [];
    public Dictionary<string, long[]> Shapes { get; } = [];

    /// <summary>Names of graph outputs: passes must keep these values and their names.</summary>
    public HashSet<string> OutputNames => [.. Outputs.Select(o => o.Name)];

    /// <summary>How many nodes read each value (graph outputs count as a reader).</summary>
    public Dictionary<string, int> ConsumerCounts()
    {
        var counts = new Dictionary<string, int>();
        foreach (var input in Nodes.SelectMany(n => n.Input).Where(i => i.Length > 0))
            counts[input] = counts.GetValueOrDefault(input) + 1;
        foreach (var o in Outputs) counts[o.Name] = counts.GetValueOrDefault(o.Name) + 1;
        return counts;
    }

    public Dictionary<string, NodeProto> Producers()
    {
        var producers = new Dictionary<string, NodeProto>();
        foreach (var node in Nodes)
            foreach (var output in node.Output) producers[output] = node;
        return producers;
    }

    /// <summary>Points every reader of <paramref name="from"/> (nodes and graph outputs) at <paramref name="to"/>.</summary>
    public void ReplaceUses(string from, string to)
    {
        foreach (var node in Nodes)
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == from) node.Input[i] = to;
    }
}
