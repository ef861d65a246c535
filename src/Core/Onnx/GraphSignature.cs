using Edge.Core.Manifest;
using Edge.Onnx.Proto;

namespace Edge.Core.Onnx;

/// <summary>One graph input or output: name, element type (ONNX name, lower case: "float", "int64"…) and dims (−1 where
/// dynamic). <see cref="KnownRank"/> is false when the graph declares no shape at all (valid ONNX: the runtime infers it).</summary>
public sealed record GraphTensor(string Name, string ElementType, long[] Dims, bool KnownRank = true)
{
    public override string ToString() => $"{Name}: {ElementType}[{string.Join(", ", Dims.Select(d => d < 0 ? "?" : d.ToString()))}]";
}

/// <summary>
/// What a model's graph says about its interface: the real inputs (initializers excluded), the outputs, and for each
/// output the activation that produced it, looking back through shape-only ops (a trailing Softmax means
/// probabilities, LogSoftmax log-probabilities). Read once from the file; cheap next to loading the model.
/// </summary>
public sealed record GraphSignature(IReadOnlyList<GraphTensor> Inputs, IReadOnlyList<GraphTensor> Outputs, IReadOnlyDictionary<string, OutputKind?> FinalActivation)
{
    private static readonly HashSet<string> ShapeOnly = ["Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast"];

    public static GraphSignature Read(string path) => Of(OnnxModelSummary.Load(path));

    public static GraphSignature Of(ModelProto model)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var o in node.Output)
                if (o.Length > 0) producer[o] = node;
        var activation = new Dictionary<string, OutputKind?>(StringComparer.Ordinal);
        foreach (var output in graph.Output)
        {
            OutputKind? kind = null;
            string name = output.Name;
            for (int hops = 0; hops < 16 && producer.TryGetValue(name, out var node); hops++)
            {
                if (node.OpType == "Softmax" && IsClassAxis(node)) { kind = OutputKind.Probabilities; break; }
                if (node.OpType == "LogSoftmax" && IsClassAxis(node)) { kind = OutputKind.LogProbabilities; break; }
                if (!ShapeOnly.Contains(node.OpType) || node.Input.Count == 0) break;
                name = node.Input[0];
            }
            activation[output.Name] = kind;
        }
        return new GraphSignature(
            [.. graph.Input.Where(i => !initializers.Contains(i.Name)).Select(Tensor)],
            [.. graph.Output.Select(Tensor)],
            activation);
    }

    /// <summary>Softmax over the last axis (opset 13 default −1) or axis 1 of a [batch, classes] tensor.</summary>
    private static bool IsClassAxis(NodeProto node)
    {
        var axis = node.Attribute.FirstOrDefault(a => a.Name == "axis");
        return axis is null || axis.I is -1 or 1;
    }

    private static GraphTensor Tensor(ValueInfoProto v)
    {
        var t = v.Type?.TensorType;
        string type = t is null ? "unknown" : ((TensorProto.Types.DataType)t.ElemType).ToString().ToLowerInvariant();
        long[] dims = t?.Shape is null ? [] : [.. t.Shape.Dim.Select(d => d.HasDimValue && d.DimValue > 0 ? d.DimValue : -1L)];
        return new GraphTensor(v.Name, type, dims, KnownRank: t?.Shape is not null);
    }
}
