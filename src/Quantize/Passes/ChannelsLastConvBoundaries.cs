
namespace Edge.Quantize.Passes;

/// <summary>
/// Rewrites the layout changes between a vision transformer's tokens and its convolutions into the one form ONNX
/// Runtime's NCHWc transformer absorbs: a 4-D channels-last Transpose ([0,3,1,2] into a conv, [0,2,3,1] out of one),
/// which it folds into the ReorderInput / ReorderOutput it already places around every NCHWc conv (their
/// <c>channels_last</c> form, an MLAS block copy). Why: exported graphs convert tokens [N, L, C] with a 3-D
/// <c>Transpose [0,2,1]</c> plus a Reshape, which ONNX Runtime runs as a separate generic transpose. On the
/// stride-2 TinyViT student at batch 64 those transposes took 17–26% of kernel time (0.3–0.6 ms each for tensors of
/// 40–260 K floats), more than all its int8 MatMuls saved. Exact: only data movement is reordered.
///
/// Rewrites:
/// <list type="bullet">
/// <item>Conv(Reshape(Transpose(t, [0,2,1]), [N, C, H, W])) → Conv(Transpose(Reshape(t, [N, H, W, C]), [0,3,1,2])).</item>
/// <item>Transpose(Reshape(Conv(…), [N, C, L]), [0,2,1]) → Reshape(Transpose(Conv(…), [0,2,3,1]), [N, L, C]).</item>
/// <item>Conv(f(Transpose(x, [0,3,1,2]))) for an elementwise unary f (GELU, ReLU, …) → Conv(Transpose(f(x))), so the
/// Transpose feeds the conv directly.</item>
/// <item>GlobalAveragePool(Transpose(x, [0,3,1,2])) read only by Reshapes to [N, C] → ReduceMean(x, axes [1, 2]): the
/// pooled values are the same and [N, 1, 1, C] has the bytes of [N, C, 1, 1].</item>
/// </list>
/// Map sizes come from <see cref="ShapeProbe"/>; a graph whose input size is symbolic is left alone.
/// </summary>
public sealed class ChannelsLastConvBoundaries : IGraphPass
{
    private static readonly HashSet<string> Unary = new(StringComparer.Ordinal) { "Gelu", "Relu", "Sigmoid", "Tanh", "Erf", "Softplus", "HardSigmoid", "LeakyRelu", "Elu" };

    public string Name => "channels-last-conv-io";

    public int Apply(ModelProto model)
    {
        var graph = model.Graph;
        if (!graph.Node.Any(n => n.OpType is "Conv" or "GlobalAveragePool")) return 0;
        if (ShapeProbe.TryRun(model) is not { } shapes) return 0;
        var index = new GraphIndex(graph);
        long opset = ModelFile.DefaultOpset(model);
        var remove = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var replace = new Dictionary<NodeProto, List<NodeProto>>(ReferenceEqualityComparer.Instance);
        int sites = 0;
        foreach (var node in graph.Node.ToArray())
        {
            if (node.OpType == "Conv" && GraphIndex.IsDefaultDomain(node))
            {
                if (TokensIntoConv(node, index, shapes, remove, replace)) sites++;
                else if (UnaryIntoConv(node, index, remove, replace)) sites++;
                if (ConvIntoTokens(node, index, shapes, remove, replace)) sites++;
            }
            else if (node.OpType == "GlobalAveragePool" && GraphIndex.IsDefaultDomain(node) && PoolChannelsLast(node, index, opset, remove, replace)) sites++;
        }
        if (sites == 0) return 0;
        GraphIndex.Splice(graph, replace, remove);
        return sites;
    }

    private static bool Taken(IEnumerable<NodeProto> nodes, HashSet<NodeProto> remove, Dictionary<NodeProto, List<NodeProto>> replace) =>
        nodes.Any(n => remove.Contains(n) || replace.ContainsKey(n));

    /// <summary>Conv(Reshape(Transpose(t, [0,2,1]), [N, C, H, W])) → Conv(Transpose(Reshape(t, [N, H, W, C]), [0,3,1,2])).</summary>
    private static bool TokensIntoConv(NodeProto conv, GraphIndex index, IReadOnlyDictionary<string, long[]> shapes,
        HashSet<NodeProto> remove, Dictionary<NodeProto, List<NodeProto>> replace)
    {
        string x = conv.Input[0];
        if (index.Producer(x) is not { OpType: "Reshape" } reshape || !GraphIndex.IsDefaultDomain(reshape) || index.SingleConsumer(x, "Conv") != conv) return false;
        string seq = reshape.Input[0];
        if (index.Producer(seq) is not { OpType: "Transpose" } transpose || !GraphIndex.IsDefaultDomain(transpose)
            || transpose.GetInts("perm") is not [0, 2, 1] || index.SingleConsumer(seq, "Reshape") != reshape) return false;
        string t = transpose.Input[0];
        if (!shapes.TryGetValue(t, out var ts) || ts is not [_, var l, var c]) return false;
        if (!shapes.TryGetValue(x, out var xs) || xs is not [_, var xc, var h, var w] || xc != c || h * w != l) return false;
        if (Taken([reshape, transpose], remove, replace)) return false;

        string nhwc = index.Unique(t + "_nhwc");
        var toMap = Nodes.Create("Reshape", index.Unique(reshape.Name + "_nhwc"), [t, index.AddInts(reshape.Name + "/nhwc_shape", -1, h, w, c)], [nhwc]);
        var toNchw = Nodes.Create("Transpose", index.Unique(transpose.Name + "_nchw"), [nhwc], [x]);
        toNchw.Attribute.Add(Attr.Ints("perm", 0, 3, 1, 2));
        replace[transpose] = [toMap, toNchw];
        remove.Add(reshape);
        return true;
    }

    /// <summary>Conv(f(Transpose(x, [0,3,1,2]))) → Conv(Transpose(f(x), [0,3,1,2])) for an elementwise unary f.</summary>
    private static bool UnaryIntoConv(NodeProto conv, GraphIndex index, HashSet<NodeProto> remove, Dictionary<NodeProto, List<NodeProto>> replace)
    {
        string x = conv.Input[0];
        if (index.Producer(x) is not { } act || !Unary.Contains(act.OpType) || act.Input.Count != 1 || index.IsGraphOutput(x)
            || index.Consumers(x) is not [var only] || only != conv) return false;
        string a = act.Input[0];
        if (index.Producer(a) is not { OpType: "Transpose" } transpose || !GraphIndex.IsDefaultDomain(transpose)
            || transpose.GetInts("perm") is not [0, 3, 1, 2] || index.IsGraphOutput(a) || index.Consumers(a) is not [var reader] || reader != act) return false;
        if (Taken([act, transpose], remove, replace)) return false;

        // f now runs on the channels-last tensor; the Transpose moves after it and writes what the conv reads.
        string fx = index.Unique(a + "_nhwc_" + act.OpType.ToLowerInvariant());
        var moved = act.Clone();
        moved.Input[0] = transpose.Input[0];
        moved.Output[0] = fx;
        var toNchw = Nodes.Create("Transpose", index.Unique(transpose.Name + "_after_" + act.OpType.ToLowerInvariant()), [fx], [x]);
        toNchw.Attribute.Add(Attr.Ints("perm", 0, 3, 1, 2));
        replace[transpose] = [moved, toNchw];
        remove.Add(act);
        return true;
    }

    /// <summary>Transpose(Reshape(Conv(…), [N, C, L]), [0,2,1]) → Reshape(Transpose(Conv(…), [0,2,3,1]), [N, L, C]).</summary>
    private static bool ConvIntoTokens(NodeProto conv, GraphIndex index, IReadOnlyDictionary<string, long[]> shapes,
        HashSet<NodeProto> remove, Dictionary<NodeProto, List<NodeProto>> replace)
    {
        string y = conv.Output[0];
        if (index.SingleConsumer(y, "Reshape") is not { } reshape || reshape.Input[0] != y) return false;
        string seq = reshape.Output[0];
        if (index.SingleConsumer(seq, "Transpose") is not { } transpose || transpose.GetInts("perm") is not [0, 2, 1]) return false;
        if (!shapes.TryGetValue(y, out var ys) || ys is not [_, var c, var h, var w]) return false;
        if (!shapes.TryGetValue(transpose.Output[0], out var os) || os is not [_, var l, var oc] || oc != c || l != h * w) return false;
        if (Taken([reshape, transpose], remove, replace)) return false;

        string nhwc = index.Unique(y + "_nhwc");
        var toNhwc = Nodes.Create("Transpose", index.Unique(transpose.Name + "_nhwc"), [y], [nhwc]);
        toNhwc.Attribute.Add(Attr.Ints("perm", 0, 2, 3, 1));
        var toTokens = Nodes.Create("Reshape", index.Unique(reshape.Name + "_tokens"), [nhwc, index.AddInts(reshape.Name + "/tokens_shape", -1, l, c)], [transpose.Output[0]]);
        replace[reshape] = [toNhwc, toTokens];
        remove.Add(transpose);
        return true;
    }

    /// <summary>GlobalAveragePool(Transpose(x, [0,3,1,2])) read only by Reshapes to [N, C] → ReduceMean(x, [1, 2], keepdims).</summary>
    private static bool PoolChannelsLast(NodeProto pool, GraphIndex index, long opset,
        HashSet<NodeProto> remove, Dictionary<NodeProto, List<NodeProto>> replace)
    {
        string x = pool.Input[0];
        if (index.Producer(x) is not { OpType: "Transpose" } transpose || !GraphIndex.IsDefaultDomain(transpose)
            || transpose.GetInts("perm") is not [0, 3, 1, 2] || index.IsGraphOutput(x) || index.Consumers(x) is not [var only] || only != pool) return false;
        // [N, 1, 1, C] and [N, C, 1, 1] are the same bytes, so only readers that flatten to [N, C] may see the swap.
        string y = pool.Output[0];
        if (index.IsGraphOutput(y) || index.Consumers(y) is not { Count: > 0 } readers
            || !readers.All(r => r.OpType == "Reshape" && GraphIndex.IsDefaultDomain(r) && r.Input[0] == y
                && index.Initializers.TryGetValue(r.Input[1], out var s) && Tensors.ToInt64s(s) is [_, var c] && c > 0)) return false;
        if (Taken([pool, transpose], remove, replace)) return false;

        var mean = Nodes.Create("ReduceMean", index.Unique(pool.Name + "/channels_last"), [transpose.Input[0]], [y]);
        if (opset >= 18) mean.Input.Add(index.AddInts(pool.Name + "/mean_axes", 1, 2));
        else mean.Attribute.Add(Attr.Ints("axes", 1, 2));
        mean.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        replace[pool] = [mean];
        remove.Add(transpose);
        return true;
    }

}
