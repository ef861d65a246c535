using Edge.Onnx.Graph;
using Edge.Onnx.Proto;

namespace Edge.Onnx.Passes;

/// <summary>
/// Evaluates nodes whose inputs are all initializers and replaces them by their result. Covers the ops an
/// exporter may leave on constants (Identity, Reshape, Transpose, Add, Sub, Mul, Div, Sqrt) on float (and, for the
/// shape ops, int64) data; anything else is left to ONNX Runtime's own folding.
/// </summary>
public sealed class ConstantFoldingPass : IGraphPass
{
    public string Name => "constant-folding";

    public int Apply(ModelProto model)
    {
        var graph = model.Graph;
        var index = new GraphIndex(graph);
        var removed = GraphIndex.NodeSet();
        foreach (var node in graph.Node)
        {
            if (node.Output.Count != 1 || index.IsGraphOutput(node.Output[0]) || !GraphIndex.IsDefaultDomain(node)) continue;
            var inputs = node.Input.Where(i => i.Length > 0).ToList();
            // Nodes are in topological order, so a chain of constant nodes folds in one sweep.
            if (inputs.Count == 0 || !inputs.All(index.Initializers.ContainsKey)) continue;
            var result = Evaluate(node, node.Output[0], inputs.Select(i => index.Initializers[i]).ToArray());
            if (result is null) continue;
            index.Add(result);
            removed.Add(node);
        }
        if (removed.Count > 0) GraphIndex.Remove(graph, removed);
        return removed.Count;
    }

    private static TensorProto? Evaluate(NodeProto node, string name, TensorProto[] inputs) => node.OpType switch
    {
        "Identity" => Tensors.Renamed(inputs[0], name),
        "Reshape" when inputs.Length == 2 && inputs[1].DataType == (int)TensorProto.Types.DataType.Int64 => Reshaped(inputs[0], Tensors.ToInt64s(inputs[1]), name),
        "Transpose" when Tensors.IsFloat(inputs[0]) => Transposed(inputs[0], node.GetInts("perm") ?? [.. Enumerable.Range(0, inputs[0].Dims.Count).Reverse().Select(i => (long)i)], name),
        "Add" => Elementwise(inputs, (a, b) => a + b, name),
        "Sub" => Elementwise(inputs, (a, b) => a - b, name),
        "Mul" => Elementwise(inputs, (a, b) => a * b, name),
        "Div" => Elementwise(inputs, (a, b) => a / b, name),
        "Sqrt" when Tensors.IsFloat(inputs[0]) => Tensors.Float(name, [.. inputs[0].Dims], Tensors.ToFloats(inputs[0]).Select(MathF.Sqrt).ToArray()),
        _ => null,
    };

    private static TensorProto? Reshaped(TensorProto x, long[] target, string name)
    {
        long[] xDims = [.. x.Dims];
        long count = xDims.Aggregate(1L, (a, b) => a * b);
        var dims = target.Select((d, i) => d == 0 ? xDims[i] : d).ToArray();
        long known = dims.Where(d => d > 0).Aggregate(1L, (a, b) => a * b);
        int minus = Array.IndexOf(dims, -1L);
        if (minus >= 0) dims[minus] = count / known;
        if (dims.Aggregate(1L, (a, b) => a * b) != count) return null;
        return x.DataType switch
        {
            (int)TensorProto.Types.DataType.Float => Tensors.Float(name, dims, Tensors.ToFloats(x)),
            (int)TensorProto.Types.DataType.Int64 => Tensors.Int64(name, dims, Tensors.ToInt64s(x)),
            _ => null,
        };
    }

    private static TensorProto Transposed(TensorProto x, long[] perm, string name)
    {
        long[] dims = [.. x.Dims];
        var values = Tensors.ToFloats(x);
        var outDims = ShapeMath.Permute(dims, perm);
        var inStrides = Strides(dims);
        var result = new float[values.Length];
        var index = new long[dims.Length];
        for (long flat = 0; flat < result.Length; flat++)
        {
            long src = 0;
            for (int a = 0; a < perm.Length; a++) src += index[a] * inStrides[perm[a]];
            result[flat] = values[src];
            for (int a = outDims.Length - 1; a >= 0 && ++index[a] == outDims[a]; a--) index[a] = 0;
        }
        return Tensors.Float(name, outDims, result);
    }

    private static TensorProto? Elementwise(TensorProto[] inputs, Func<float, float, float> op, string name)
    {
        if (inputs.Length != 2 || !Tensors.IsFloat(inputs[0]) || !Tensors.IsFloat(inputs[1])) return null;
        long[] aDims = [.. inputs[0].Dims], bDims = [.. inputs[1].Dims];
        float[] a = Tensors.ToFloats(inputs[0]), b = Tensors.ToFloats(inputs[1]);
        var outDims = ShapeMath.Broadcast(aDims, bDims);
        long[] sa = BroadcastStrides(aDims, outDims), sb = BroadcastStrides(bDims, outDims);
        long count = outDims.Aggregate(1L, (x, y) => x * y);
        var result = new float[count];
        var index = new long[outDims.Length];
        for (long flat = 0; flat < count; flat++)
        {
            long ia = 0, ib = 0;
            for (int d = 0; d < outDims.Length; d++) { ia += index[d] * sa[d]; ib += index[d] * sb[d]; }
            result[flat] = op(a[ia], b[ib]);
            for (int d = outDims.Length - 1; d >= 0 && ++index[d] == outDims[d]; d--) index[d] = 0;
        }
        return Tensors.Float(name, outDims, result);
    }

    private static long[] Strides(long[] dims)
    {
        var s = new long[dims.Length];
        long acc = 1;
        for (int i = dims.Length - 1; i >= 0; i--) { s[i] = acc; acc *= dims[i]; }
        return s;
    }

    /// <summary>Strides of <paramref name="dims"/> aligned right to <paramref name="outDims"/>, 0 on broadcast axes.</summary>
    private static long[] BroadcastStrides(long[] dims, long[] outDims)
    {
        var own = Strides(dims);
        var s = new long[outDims.Length];
        int offset = outDims.Length - dims.Length;
        for (int i = 0; i < dims.Length; i++) s[i + offset] = dims[i] == 1 ? 0 : own[i];
        return s;
    }
}
