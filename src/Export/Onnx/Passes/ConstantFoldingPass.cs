using Edge.Export.Onnx.Graph;
using Edge.Onnx.Proto;

namespace Edge.Export.Onnx.Passes;

/// <summary>
/// Evaluates nodes whose inputs are all initializers and replaces them by their result. Covers the ops an
/// exporter may leave on constants (Identity, Reshape, Transpose, Add, Sub, Mul, Div, Sqrt); anything else
/// is left to ONNX Runtime's own folding.
/// </summary>
public sealed class ConstantFoldingPass : IGraphPass
{
    public string Name => "constant-folding";

    public int Run(OnnxGraph graph)
    {
        var protectedOutputs = graph.OutputNames;
        int folded = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (node.Output.Count != 1 || protectedOutputs.Contains(node.Output[0])) continue;
            var inputs = node.Input.Where(i => i.Length > 0).ToList();
            if (inputs.Count == 0 || !inputs.All(graph.Initializers.ContainsKey)) continue;
            var result = Evaluate(node, inputs.Select(i => graph.Initializers[i]).ToArray());
            if (result is null) continue;
            graph.Initializers[node.Output[0]] = result;
            graph.Shapes[node.Output[0]] = result.Dims;
            graph.Nodes.Remove(node);
            folded++;
        }
        return folded;
    }

    private static ConstTensor? Evaluate(NodeProto node, ConstTensor[] inputs) => node.OpType switch
    {
        "Identity" => inputs[0],
        "Reshape" when inputs[1].Longs is { } target => Reshaped(inputs[0], target),
        "Transpose" when inputs[0].IsFloat => Transposed(inputs[0], node.GetInts("perm") ?? [.. Enumerable.Range(0, inputs[0].Dims.Length).Reverse().Select(i => (long)i)]),
        "Add" => Elementwise(inputs, (a, b) => a + b),
        "Sub" => Elementwise(inputs, (a, b) => a - b),
        "Mul" => Elementwise(inputs, (a, b) => a * b),
        "Div" => Elementwise(inputs, (a, b) => a / b),
        "Sqrt" when inputs[0].IsFloat => ConstTensor.Of(inputs[0].Floats!.Select(MathF.Sqrt).ToArray(), inputs[0].Dims),
        _ => null,
    };

    private static ConstTensor? Reshaped(ConstTensor x, long[] target)
    {
        long count = x.Dims.Aggregate(1L, (a, b) => a * b);
        var dims = target.Select((d, i) => d == 0 ? x.Dims[i] : d).ToArray();
        long known = dims.Where(d => d > 0).Aggregate(1L, (a, b) => a * b);
        int minus = Array.IndexOf(dims, -1L);
        if (minus >= 0) dims[minus] = count / known;
        if (dims.Aggregate(1L, (a, b) => a * b) != count) return null;
        return x.IsFloat ? ConstTensor.Of(x.Floats!, dims) : ConstTensor.OfLongs(x.Longs!, dims);
    }

    private static ConstTensor Transposed(ConstTensor x, long[] perm)
    {
        var dims = x.Dims;
        var outDims = perm.Select(p => dims[p]).ToArray();
        var inStrides = Strides(dims);
        var result = new float[x.Floats!.Length];
        var index = new long[dims.Length];
        for (long flat = 0; flat < result.Length; flat++)
        {
            long src = 0;
            for (int a = 0; a < perm.Length; a++) src += index[a] * inStrides[perm[a]];
            result[flat] = x.Floats[src];
            for (int a = outDims.Length - 1; a >= 0 && ++index[a] == outDims[a]; a--) index[a] = 0;
        }
        return ConstTensor.Of(result, outDims);
    }

    private static ConstTensor? Elementwise(ConstTensor[] inputs, Func<float, float, float> op)
    {
        if (inputs.Length != 2 || !inputs[0].IsFloat || !inputs[1].IsFloat) return null;
        var (a, b) = (inputs[0], inputs[1]);
        var outDims = ShapeMath.Broadcast(a.Dims, b.Dims);
        long[] sa = BroadcastStrides(a.Dims, outDims), sb = BroadcastStrides(b.Dims, outDims);
        long count = outDims.Aggregate(1L, (x, y) => x * y);
        var result = new float[count];
        var index = new long[outDims.Length];
        for (long flat = 0; flat < count; flat++)
        {
            long ia = 0, ib = 0;
            for (int d = 0; d < outDims.Length; d++) { ia += index[d] * sa[d]; ib += index[d] * sb[d]; }
            result[flat] = op(a.Floats![ia], b.Floats![ib]);
            for (int d = outDims.Length - 1; d >= 0 && ++index[d] == outDims[d]; d--) index[d] = 0;
        }
        return ConstTensor.Of(result, outDims);
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
