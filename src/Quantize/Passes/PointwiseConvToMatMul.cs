
namespace Edge.Quantize.Passes;

/// <summary>
/// Rewrites a 1x1 convolution (stride 1, no padding, one group) as a MatMul over channels-last data where the
/// graph already has that layout around it, so the quantizer can make it an int8 MatMul
/// (DynamicQuantizeMatMul / MatMulIntegerToFloat, bias inside). Why: in a TinyViT-style student the patch-merging
/// 1x1 convs hold ~0.3 MB of float weights (what keeps the dynamic-int8 file above 30% of fp32), yet they sit
/// between a Transpose from tokens (NHWC) to NCHW and a Transpose back; ONNX Runtime's int8 convs on such small
/// maps are slower than float (ConvInteger, QLinearConv; see docs/BENCHMARKS.md), while its int8 MatMul is fast.
///
/// Rewrites (y = Conv(x, W[O, C, 1, 1], b)):
/// <list type="bullet">
/// <item>x = Transpose(t, [0,3,1,2]) read only by the conv: MatMul(t, Wᵀ) + b runs on t directly, the Transpose goes.</item>
/// <item>y read only by Transpose(y, [0,2,3,1]): the MatMul writes that Transpose's output, the Transpose goes.</item>
/// <item>x is 1x1 spatially (measured by <see cref="ShapeProbe"/>; never assumed when the input size is symbolic): NCHW and NHWC are the same bytes, so a Reshape
/// stands in for the missing Transpose; a Reshape reading y is rewired to read the MatMul output directly.</item>
/// <item>otherwise the missing side gets a Transpose; a conv that would gain two Transposes is left alone.</item>
/// </list>
/// </summary>
public sealed class PointwiseConvToMatMul : IGraphPass
{
    public string Name => "pointwise-conv-matmul";

    public int Apply(ModelProto model)
    {
        var graph = model.Graph;
        var index = new GraphIndex(graph);
        IReadOnlyDictionary<string, long[]>? shapes = null;
        var remove = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var replace = new Dictionary<NodeProto, List<NodeProto>>(ReferenceEqualityComparer.Instance);
        var rewired = new List<(NodeProto Reshape, string Input)>();
        foreach (var conv in graph.Node.Where(n => n.OpType == "Conv" && GraphIndex.IsDefaultDomain(n)).ToArray())
        {
            if (!IsPointwise(conv, index, out var w, out string? bias)) continue;
            long o = w.Dims[0], c = w.Dims[1];
            string x = conv.Input[0], y = conv.Output[0];
            var inT = index.Producer(x) is { OpType: "Transpose" } pt && GraphIndex.IsDefaultDomain(pt) && Perm(pt, 0, 3, 1, 2)
                && index.SingleConsumer(x, "Conv") == conv && !remove.Contains(pt) ? pt : null;
            var outT = index.SingleConsumer(y, "Transpose") is { } ct && Perm(ct, 0, 2, 3, 1) ? ct : null;
            bool unit = false;
            if (inT is null || outT is null)
            {
                // Only now is the probe worth its session: most convs never need it.
                shapes ??= ShapeProbe.TryRun(model) ?? new Dictionary<string, long[]>();
                unit = shapes.TryGetValue(x, out var s) && s.Length == 4 && s[2] == 1 && s[3] == 1;
            }
            if (inT is null && outT is null && !unit) continue;

            var nodes = new List<NodeProto>();
            string a;
            if (inT is not null)
            {
                a = inT.Input[0];
                remove.Add(inT);
            }
            else
            {
                a = index.Unique(x + "_nhwc");
                var toNhwc = unit
                    ? Nodes.Create("Reshape", index.Unique(conv.Name + "/to_nhwc"), [x, index.AddInts(conv.Name + "/nhwc_shape", 0, 1, 1, c)], [a])
                    : Nodes.Create("Transpose", index.Unique(conv.Name + "/to_nhwc"), [x], [a]);
                if (!unit) toNhwc.Attribute.Add(Attr.Ints("perm", 0, 2, 3, 1));
                nodes.Add(toNhwc);
            }

            string wt = AddTransposedWeight(index, w, o, c);
            string mmOut = bias is null && outT is not null ? outT.Output[0] : index.Unique(y + "_nhwc");
            nodes.Add(Nodes.Create("MatMul", index.Unique(conv.Name + "/MatMul"), [a, wt], [mmOut]));
            string result = mmOut;
            if (bias is not null)
            {
                result = outT is not null ? outT.Output[0] : index.Unique(y + "_nhwc_biased");
                nodes.Add(Nodes.Create("Add", index.Unique(conv.Name + "/Add"), [mmOut, bias], [result]));
            }

            if (outT is not null) remove.Add(outT);
            else if (unit && index.Consumers(y) is var readers && !index.IsGraphOutput(y) && readers.All(r => IsPlainReshape(r, y, index)))
                // Reshape(Reshape(v)) is Reshape(v) when the outer shape copies no dimension (no 0 past the batch axis).
                foreach (var r in readers) rewired.Add((r, result));
            else if (unit)
                nodes.Add(Nodes.Create("Reshape", index.Unique(conv.Name + "/to_nchw"), [result, index.AddInts(conv.Name + "/nchw_shape", 0, o, 1, 1)], [y]));
            else
            {
                var toNchw = Nodes.Create("Transpose", index.Unique(conv.Name + "/to_nchw"), [result], [y]);
                toNchw.Attribute.Add(Attr.Ints("perm", 0, 3, 1, 2));
                nodes.Add(toNchw);
            }
            replace[conv] = nodes;
        }
        if (replace.Count == 0) return 0;
        foreach (var (r, input) in rewired) r.Input[0] = input;
        GraphIndex.Splice(graph, replace, remove);
        return replace.Count;
    }

    private static bool IsPointwise(NodeProto conv, GraphIndex index, out TensorProto w, out string? bias)
    {
        w = null!;
        bias = null;
        if (index.FloatInitializer(conv.Input[1]) is not { Dims: [_, _, 1, 1] } weight) return false;
        w = weight;
        if (conv.Input.Count > 2 && conv.Input[2].Length > 0)
        {
            if (index.FloatInitializer(conv.Input[2]) is not { } b || b.Dims.Count != 1 || b.Dims[0] != weight.Dims[0]) return false;
            bias = conv.Input[2];
        }
        if ((conv.GetInt("group") ?? 1) != 1) return false;
        if (conv.GetInts("strides") is { } st && st.Any(v => v != 1)) return false;
        if (conv.GetInts("pads") is { } p && p.Any(v => v != 0)) return false;
        return conv.GetString("auto_pad") is null or "NOTSET" or "VALID";
    }

    private static bool IsPlainReshape(NodeProto r, string input, GraphIndex index) =>
        r.OpType == "Reshape" && GraphIndex.IsDefaultDomain(r) && r.Input[0] == input
        && index.Initializers.TryGetValue(r.Input[1], out var s) && Tensors.ToInt64s(s).Skip(1).All(v => v != 0);

    private static bool Perm(NodeProto t, params long[] perm) => t.GetInts("perm") is { } p && p.SequenceEqual(perm);

    private static string AddTransposedWeight(GraphIndex index, TensorProto w, long o, long c)
    {
        var src = Tensors.ToFloats(w);
        var dst = new float[src.Length];
        for (long i = 0; i < o; i++)
            for (long j = 0; j < c; j++)
                dst[j * o + i] = src[i * c + j];
        return index.AddFloats(w.Name + "_matmul", [c, o], dst);
    }

}
