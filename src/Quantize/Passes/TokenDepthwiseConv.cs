
namespace Edge.Quantize.Passes;

/// <summary>
/// Rewrites a depthwise "same" convolution that a vision transformer runs on its tokens through a layout round
/// trip — tokens [N, L, C] → Transpose → Reshape [N, C, H, W] → Conv → Reshape [N, C, L] → Transpose → [N, L, C]
/// (or, on a 1x1 map, just the two Reshapes) — as token-layout arithmetic, when the map is tiny (L ≤
/// <see cref="MaxPixels"/>): <c>y = ReduceSum(Reshape(t, [N, 1, L, C]) · K, axis 2) + b</c>, where K[q, p, c] is the
/// kernel tap that carries pixel p to pixel q (0 outside the window); on a 1x1 map only the centre tap remains,
/// <c>y = t · k + b</c>. Why: at batch 1 a small model's time is per-node overhead; the round trip is 7 nodes (9
/// once ONNX Runtime adds its NCHWc reorders) for a few hundred multiply-adds, the rewrite 4 (2 on a 1x1 map).
/// K holds L² · C values against the kernel's kh · kw · C, which is why only tiny maps qualify.
/// Spatial sizes come from <see cref="ShapeProbe"/>; anything that does not match exactly is left alone.
/// </summary>
public sealed class TokenDepthwiseConv : IGraphPass
{
    /// <summary>Largest H·W rewritten (2x2 maps by default: K is then 16·C values).</summary>
    public int MaxPixels { get; init; } = 4;

    public string Name => "token-depthwise-conv";

    public int Apply(ModelProto model)
    {
        var graph = model.Graph;
        var index = new GraphIndex(graph);
        var convs = graph.Node.Where(n => n.OpType == "Conv" && GraphIndex.IsDefaultDomain(n)).ToArray();
        if (convs.Length == 0) return 0;
        // Map sizes decide everything here; with a symbolic input size there are none to rely on.
        if (ShapeProbe.TryRun(model) is not { } shapes) return 0;
        long opset = ModelFile.DefaultOpset(model);
        var remove = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var replace = new Dictionary<NodeProto, List<NodeProto>>(ReferenceEqualityComparer.Instance);
        foreach (var conv in convs)
        {
            var m = Match(conv, index, shapes);
            if (m is null || m.Removed.Any(remove.Contains)) continue;
            var nodes = new List<NodeProto>();
            var w = Tensors.ToFloats(m.Weight);
            long c = m.Channels, h = m.Height, wd = m.Width, kh = m.Weight.Dims[2], kw = m.Weight.Dims[3], l = h * wd;
            string product;
            if (l == 1)
            {
                var centre = new float[c];
                for (long ch = 0; ch < c; ch++) centre[ch] = w[ch * kh * kw + (kh / 2) * kw + kw / 2];
                product = index.Unique(conv.Output[0] + "_tokens");
                nodes.Add(Nodes.Create("Mul", index.Unique(conv.Name + "/token_mul"), [m.Tokens, index.AddFloats(m.Weight.Name + "_centre", [c], centre)], [product]));
            }
            else
            {
                // K[q, p, c]: output pixel q = (y, x) reads input pixel p = (y + dy, x + dx) through tap (dy + kh/2, dx + kw/2).
                var k = new float[l * l * c];
                for (long y = 0; y < h; y++)
                    for (long x = 0; x < wd; x++)
                        for (long dy = -(kh / 2); dy <= kh / 2; dy++)
                            for (long dx = -(kw / 2); dx <= kw / 2; dx++)
                            {
                                long py = y + dy, px = x + dx;
                                if (py < 0 || py >= h || px < 0 || px >= wd) continue;
                                long q = y * wd + x, p = py * wd + px;
                                for (long ch = 0; ch < c; ch++)
                                    k[(q * l + p) * c + ch] = w[ch * kh * kw + (dy + kh / 2) * kw + dx + kw / 2];
                            }
                string spread = index.Unique(m.Tokens + "_spread");
                nodes.Add(Nodes.Create("Reshape", index.Unique(conv.Name + "/token_spread"), [m.Tokens, index.AddInts(conv.Name + "/spread_shape", 0, 1, l, c)], [spread]));
                string products = index.Unique(conv.Output[0] + "_taps");
                nodes.Add(Nodes.Create("Mul", index.Unique(conv.Name + "/token_mul"), [spread, index.AddFloats(m.Weight.Name + "_tokens", [l, l, c], k)], [products]));
                product = index.Unique(conv.Output[0] + "_tokens");
                var sum = Nodes.Create("ReduceSum", index.Unique(conv.Name + "/token_sum"), [products], [product]);
                if (opset >= 13) sum.Input.Add(index.AddInts(conv.Name + "/sum_axes", 2));
                else sum.Attribute.Add(Attr.Ints("axes", 2));
                sum.Attribute.Add(new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
                nodes.Add(sum);
            }
            if (m.Bias is { } b)
                nodes.Add(Nodes.Create("Add", index.Unique(conv.Name + "/token_bias"), [product, b], [m.Output]));
            else
                nodes[^1].Output[0] = m.Output;
            foreach (var r in m.Removed) remove.Add(r);
            replace[conv] = nodes;
        }
        if (replace.Count == 0) return 0;
        GraphIndex.Splice(graph, replace, remove);
        return replace.Count;
    }

    /// <param name="Tokens">[N, L, C] read by the rewrite.</param>
    /// <param name="Output">[N, L, C] the round trip ended in.</param>
    /// <param name="Removed">The layout nodes around the conv (the conv itself is replaced).</param>
    private sealed record Matched(string Tokens, string Output, TensorProto Weight, string? Bias, long Channels, long Height, long Width, IReadOnlyList<NodeProto> Removed);

    private Matched? Match(NodeProto conv, GraphIndex index, IReadOnlyDictionary<string, long[]> shapes)
    {
        if (index.FloatInitializer(conv.Input[1]) is not { Dims: [var c, 1, var kh, var kw] } w || kh % 2 == 0 || kw % 2 == 0) return null;
        if ((conv.GetInt("group") ?? 1) != c) return null;
        if (conv.GetInts("strides") is { } st && st.Any(v => v != 1)) return null;
        if (conv.GetInts("dilations") is { } dl && dl.Any(v => v != 1)) return null;
        if (conv.GetString("auto_pad") is { } ap && ap != "NOTSET") return null;
        if (conv.GetInts("pads") is not { } pads || !pads.SequenceEqual([kh / 2, kw / 2, kh / 2, kw / 2])) return null;
        string? bias = null;
        if (conv.Input.Count > 2 && conv.Input[2].Length > 0)
        {
            if (index.FloatInitializer(conv.Input[2]) is not { Dims: [var bc] } || bc != c) return null;
            bias = conv.Input[2];
        }
        if (!shapes.TryGetValue(conv.Input[0], out var xs) || xs is not [1, var xc, var h, var wd] || xc != c || h * wd > MaxPixels) return null;
        long l = h * wd;

        // In: Reshape(Transpose(t, [0,2,1])) with t [N, L, C]; on a 1x1 map the Transpose may be absent.
        var inR = index.Producer(conv.Input[0]);
        if (inR is not { OpType: "Reshape" } || !GraphIndex.IsDefaultDomain(inR) || index.SingleConsumer(conv.Input[0], "Conv") != conv) return null;
        var removed = new List<NodeProto> { inR };
        string tokens = inR.Input[0];
        if (index.Producer(tokens) is { OpType: "Transpose" } inT && GraphIndex.IsDefaultDomain(inT) && inT.GetInts("perm") is [0, 2, 1]
            && index.SingleConsumer(tokens, "Reshape") == inR)
        {
            removed.Add(inT);
            tokens = inT.Input[0];
        }
        else if (l != 1) return null;
        if (!shapes.TryGetValue(tokens, out var ts) || ts is not [1, var tl, var tc] || tl != l || tc != c) return null;

        // Out: Reshape to [N, C, L] then Transpose [0,2,1]; on a 1x1 map a Reshape straight to [N, 1, C].
        var outR = index.SingleConsumer(conv.Output[0], "Reshape");
        if (outR is null || outR.Input[0] != conv.Output[0]) return null;
        removed.Add(outR);
        string output = outR.Output[0];
        if (index.SingleConsumer(output, "Transpose") is { } outT && outT.GetInts("perm") is [0, 2, 1])
        {
            removed.Add(outT);
            output = outT.Output[0];
        }
        else if (l != 1) return null;
        if (index.IsGraphOutput(conv.Output[0]) || !shapes.TryGetValue(output, out var os) || os is not [1, var ol, var oc] || ol != l || oc != c) return null;
        return new Matched(tokens, output, w, bias, c, h, wd, removed);
    }
}
