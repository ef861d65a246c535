using Edge.Onnx.Proto;

namespace Edge.Export.Onnx.Graph;

/// <summary>
/// Appends nodes and initializers with unique names derived from the module path
/// (<c>stages.1.blocks.0.attn.qkv/MatMul</c>), and tracks the output shape of every node. The op helpers
/// take care of the shape bookkeeping so exporters read like the forward pass they mirror.
/// </summary>
public sealed class GraphBuilder(int opset)
{
    private readonly HashSet<string> usedNames = [];

    public OnnxGraph Graph { get; } = new();
    public int Opset { get; } = opset;

    private string Unique(string name)
    {
        if (usedNames.Add(name)) return name;
        for (int i = 1; ; i++)
            if (usedNames.Add($"{name}_{i}")) return $"{name}_{i}";
    }

    private static string Scoped(string path, string name) => path.Length == 0 ? name : $"{path}/{name}";

    public OnnxValue AddInput(string name, long[] shape)
    {
        var v = new OnnxValue(Unique(name), shape);
        Graph.Inputs.Add(v);
        Graph.Shapes[v.Name] = shape;
        return v;
    }

    /// <summary>
    /// Makes <paramref name="value"/> a graph output called <paramref name="name"/>: the producing node's
    /// output is renamed (no extra Identity node); an input or initializer gets an Identity.
    /// </summary>
    public void AddOutput(OnnxValue value, string name)
    {
        var producer = Graph.Nodes.LastOrDefault(n => n.Output.Contains(value.Name));
        if (producer is null || Graph.OutputNames.Contains(value.Name))
        {
            Graph.Outputs.Add(Identity("", value, name));
            return;
        }
        if (!usedNames.Add(name)) throw new InvalidOperationException($"output name '{name}' is already used in the graph");
        producer.Output[producer.Output.IndexOf(value.Name)] = name;
        Graph.ReplaceUses(value.Name, name);
        Graph.Shapes.Remove(value.Name);
        Graph.Shapes[name] = value.Shape;
        Graph.Outputs.Add(new OnnxValue(name, value.Shape));
    }

    public OnnxValue Constant(string path, string name, ConstTensor tensor)
    {
        string unique = Unique(Scoped(path, name));
        Graph.Initializers[unique] = tensor;
        Graph.Shapes[unique] = tensor.Dims;
        return new OnnxValue(unique, tensor.Dims);
    }

    public OnnxValue Constant(string path, string name, float[] data, params long[] dims) => Constant(path, name, ConstTensor.Of(data, dims));

    public OnnxValue Longs(string path, string name, params long[] data) => Constant(path, name, ConstTensor.Vector(data));

    /// <summary>Adds a node with one output per shape in <paramref name="outputShapes"/>.</summary>
    public OnnxValue[] Node(string path, string opType, IEnumerable<OnnxValue?> inputs, long[][] outputShapes, params AttributeProto[] attributes)
    {
        string nodeName = Unique(Scoped(path, opType));
        var node = new NodeProto { Name = nodeName, OpType = opType };
        node.Input.AddRange(inputs.Select(i => i?.Name ?? ""));
        node.Attribute.AddRange(attributes);
        var outputs = new OnnxValue[outputShapes.Length];
        for (int i = 0; i < outputShapes.Length; i++)
        {
            string outName = Unique(outputShapes.Length == 1 ? $"{nodeName}_output" : $"{nodeName}_output_{i}");
            node.Output.Add(outName);
            outputs[i] = new OnnxValue(outName, outputShapes[i]);
            Graph.Shapes[outName] = outputShapes[i];
        }
        Graph.Nodes.Add(node);
        return outputs;
    }

    public OnnxValue Node(string path, string opType, IEnumerable<OnnxValue?> inputs, long[] outputShape, params AttributeProto[] attributes) =>
        Node(path, opType, inputs, [outputShape], attributes)[0];

    // ---- op helpers -------------------------------------------------------------------------------

    public OnnxValue Identity(string path, OnnxValue x, string? outputName = null)
    {
        var v = Node(path, "Identity", [x], x.Shape);
        if (outputName is null) return v;
        // Rename the single output so the graph exposes a stable name (e.g. "logits").
        var node = Graph.Nodes[^1];
        Graph.Shapes.Remove(v.Name);
        usedNames.Add(outputName);
        node.Output[0] = outputName;
        Graph.Shapes[outputName] = x.Shape;
        return new OnnxValue(outputName, x.Shape);
    }

    /// <summary>Reshape to a static target with one -1 for the batch axis; a no-op when the shape already matches.</summary>
    public OnnxValue Reshape(string path, OnnxValue x, params long[] target)
    {
        var shape = ShapeMath.Reshape(x.Shape, target);
        if (shape.SequenceEqual(x.Shape)) return x;
        return Node(path, "Reshape", [x, Longs(path, "shape", target)], shape);
    }

    /// <summary>
    /// Transpose, or a Reshape when the permutation only moves size-1 axes (same memory order, no copy).
    /// </summary>
    public OnnxValue Transpose(string path, OnnxValue x, params long[] perm)
    {
        var shape = ShapeMath.Permute(x.Shape, perm);
        var moved = perm.Where(p => x.Shape[p] != 1).ToArray();
        bool orderKept = moved.Zip(moved.Skip(1)).All(pair => pair.First < pair.Second);
        if (orderKept)
            return shape.SequenceEqual(x.Shape) ? x : Reshape(path, x, shape.Select(d => d < 0 ? -1 : d).ToArray());
        return Node(path, "Transpose", [x], shape, Attr.Ints("perm", perm));
    }

    public OnnxValue Add(string path, OnnxValue a, OnnxValue b) => Node(path, "Add", [a, b], ShapeMath.Broadcast(a.Shape, b.Shape));

    public OnnxValue Mul(string path, OnnxValue a, OnnxValue b) => Node(path, "Mul", [a, b], ShapeMath.Broadcast(a.Shape, b.Shape));

    public OnnxValue MatMul(string path, OnnxValue a, OnnxValue b)
    {
        var batchDims = ShapeMath.Broadcast(a.Shape[..^2], b.Shape[..^2]);
        return Node(path, "MatMul", [a, b], [.. batchDims, a[-2], b[-1]]);
    }
}
