
namespace Edge.Quantize.Passes;

/// <summary>
/// Replaces a plain-op multi-head self-attention with one com.microsoft Attention node, which ONNX Runtime runs
/// as a single CPU kernel. Why: on a small vision transformer at batch 1 the time goes to per-node overhead, not
/// arithmetic; the ~15 nodes of an unfused attention (qkv MatMul, bias Add, Split, three Reshape→Transpose,
/// two MatMuls, bias Add, Softmax, Transpose, Reshape) cost more than int8 saves. ONNX Runtime does not fuse this
/// form itself (its fusions look for BERT/GPT layouts).
///
/// Pattern (what <c>edge export</c> writes, and the usual timm/PyTorch export of window attention):
/// <code>
/// qkv = Add(MatMul(x, W[C, 3·h·d]), b[3·h·d]); q, k, v = Split(qkv, axis -1, 3 equal parts)
/// q = Transpose(Reshape(q, [., n, h, d]), [0,2,1,3]); kT = Transpose(Reshape(k, ..), [0,2,3,1]); v like q
/// p = Softmax(Add(MatMul(q, kT), bias[h|1, n, n])?, axis -1)
/// y = Reshape(Transpose(MatMul(p, v), [0,2,1,3]), [., n, h·d])
/// </code>
/// becomes <c>y = Attention(x, W, b, attention_bias = bias[1, h, n, n]; num_heads = h, scale = 1)</c>: the
/// scale attribute is 1 because a scaled-dot-product's 1/√d is already in W's Q rows when the Softmax input has no
/// Mul/Div (an unscaled graph computes exactly that, so it stays exact either way).
/// Everything must be single-consumer intermediate tensors; anything else is left alone.
/// </summary>

public sealed class AttentionFusion(AttentionForm form = AttentionForm.MultiHeadAttention) : IGraphPass
{
    public AttentionForm Form { get; } = form;

    public string Name => "fuse-attention";

    /// <summary>Fuses every match in <paramref name="model"/> (in place: callers pass a copy) and returns the number fused.</summary>
    public int Apply(ModelProto model)
    {
        var graph = model.Graph;
        var index = new GraphIndex(graph);
        var remove = GraphIndex.NodeSet();
        var replacements = GraphIndex.ReplacementMap();
        int fused = 0;
        foreach (var softmax in graph.Node.Where(n => n.OpType == "Softmax" && GraphIndex.IsDefaultDomain(n)).ToArray())
        {
            var m = Match(softmax, index);
            if (m is null || m.Nodes.Any(remove.Contains)) continue;
            bool mha = Form == AttentionForm.MultiHeadAttention;
            var attention = new NodeProto { OpType = mha ? "MultiHeadAttention" : "Attention", Domain = Nodes.MsDomain, Name = m.Name };
            string biasName = "";
            if (m.ScoreBias is { } sb)
            {
                long h = sb.Dims.Count == 3 ? sb.Dims[0] : 1;
                biasName = index.AddFloats(sb.Name + "_4d", [1, h, sb.Dims[^2], sb.Dims[^1]], Tensors.ToFloats(sb));
            }
            if (mha) attention.Input.AddRange([.. m.Split.Output, "", "", biasName]);
            else attention.Input.AddRange([m.X, m.Weight, m.Bias, "", "", biasName]);
            while (attention.Input[^1].Length == 0) attention.Input.RemoveAt(attention.Input.Count - 1);
            attention.Output.Add(m.Output);
            attention.Attribute.Add(Attr.Int("num_heads", m.Heads));
            attention.Attribute.Add(Attr.Float("scale", 1f));
            foreach (var n in m.Nodes)
                if (!mha || !m.Projection.Contains(n)) remove.Add(n);
            if (mha) replacements[m.Anchor] = [attention];
            else replacements[m.Projection[0]] = [attention];
            fused++;
        }
        if (fused == 0) return 0;
        GraphIndex.Splice(graph, replacements, remove);
        Nodes.ImportMsDomainIfUsed(model);
        return fused;
    }

    /// <param name="Projection">qkv MatMul, bias Add and Split, in graph order (kept by the MultiHeadAttention form).</param>
    /// <param name="Anchor">The Softmax: where the fused node goes in the MultiHeadAttention form.</param>
    private sealed record Matched(string Name, string X, string Weight, string Bias, TensorProto? ScoreBias, long Heads, string Output, NodeProto Anchor, NodeProto Split, IReadOnlyList<NodeProto> Projection, IReadOnlyList<NodeProto> Nodes);

    private static Matched? Match(NodeProto softmax, GraphIndex index)
    {
        var nodes = new List<NodeProto> { softmax };
        var inits = index.Initializers;
        long axis = softmax.GetInt("axis") ?? -1;
        if (axis is not (-1 or 3)) return null;
        // One reader, reading it once, and not a graph output.
        bool Single(string t) => !index.IsGraphOutput(t) && index.Consumers(t) is [var only] && only.Input.Count(i => i == t) == 1;
        NodeProto? From(string t, string op) =>
            index.Producer(t) is { } p && p.OpType == op && GraphIndex.IsDefaultDomain(p) && Single(t) ? p : null;

        // Scores: MatMul(q, kT), optionally + constant bias.
        TensorProto? scoreBias = null;
        var scoresNode = index.Producer(softmax.Input[0]);
        if (scoresNode is null || !Single(softmax.Input[0])) return null;
        NodeProto qk;
        if (scoresNode.OpType == "Add" && GraphIndex.IsDefaultDomain(scoresNode))
        {
            nodes.Add(scoresNode);
            string a = scoresNode.Input[0], b = scoresNode.Input[1];
            string biasIn = inits.ContainsKey(b) ? b : inits.ContainsKey(a) ? a : "";
            string mmIn = biasIn == b ? a : b;
            if (biasIn.Length == 0 || (qk = From(mmIn, "MatMul")!) is null) return null;
            scoreBias = inits[biasIn];
            if (scoreBias.DataType != (int)TensorProto.Types.DataType.Float || scoreBias.Dims.Count is not (3 or 4)
                || (scoreBias.Dims.Count == 4 && scoreBias.Dims[0] != 1)) return null;
        }
        else if (scoresNode.OpType == "MatMul" && GraphIndex.IsDefaultDomain(scoresNode)) qk = scoresNode;
        else return null;
        nodes.Add(qk);

        // probs · v → Transpose(0,2,1,3) → Reshape [., n, h·d]
        if (!Single(softmax.Output[0])) return null;
        var pv = index.SingleConsumer(softmax.Output[0], "MatMul");
        if (pv is null || pv.Input[0] != softmax.Output[0]) return null;
        var outT = Single(pv.Output[0]) ? index.SingleConsumer(pv.Output[0], "Transpose") : null;
        if (outT is null || !Perm(outT, 0, 2, 1, 3)) return null;
        var outR = Single(outT.Output[0]) ? index.SingleConsumer(outT.Output[0], "Reshape") : null;
        if (outR is null) return null;
        nodes.AddRange([pv, outT, outR]);

        // q, kT, v: Transpose(Reshape(Split output)).
        (NodeProto R, NodeProto T)? Head(string t, params long[] perm)
        {
            var tr = From(t, "Transpose");
            if (tr is null || !Perm(tr, perm)) return null;
            var re = From(tr.Input[0], "Reshape");
            return re is null ? null : (re, tr);
        }
        var q = Head(qk.Input[0], 0, 2, 1, 3);
        var k = Head(qk.Input[1], 0, 2, 3, 1);
        var v = Head(pv.Input[1], 0, 2, 1, 3);
        if (q is null || k is null || v is null) return null;
        nodes.AddRange([q.Value.R, q.Value.T, k.Value.R, k.Value.T, v.Value.R, v.Value.T]);
        if (index.Producer(q.Value.R.Input[0]) is not { OpType: "Split" } split || !GraphIndex.IsDefaultDomain(split) || split.Output.Count != 3) return null;
        if (split.Output[0] != q.Value.R.Input[0] || split.Output[1] != k.Value.R.Input[0] || split.Output[2] != v.Value.R.Input[0]) return null;
        if (!split.Output.All(Single)) return null;
        nodes.Add(split);

        // Head count and size from the q reshape [., n, h, d]; all three reshapes must agree.
        long[]? shape = Shape(q.Value.R, inits);
        if (shape is not { Length: 4 } || shape[2] <= 0 || shape[3] <= 0) return null;
        foreach (var r in new[] { k.Value.R, v.Value.R })
            if (Shape(r, inits) is not { Length: 4 } s || s[2] != shape[2] || s[3] != shape[3]) return null;
        long heads = shape[2], hidden = shape[2] * shape[3];
        if (Shape(outR, inits) is not { Length: 3 } os || os[2] != hidden) return null;

        // Split into three equal parts along the last axis.
        long splitAxis = split.GetInt("axis") ?? 0;
        if (splitAxis is not (2 or -1)) return null;
        if (split.Input.Count > 1 && split.Input[1].Length > 0)
        {
            if (!inits.TryGetValue(split.Input[1], out var sizes) || Tensors.ToInt64s(sizes) is not [var s0, var s1, var s2] || s0 != hidden || s1 != hidden || s2 != hidden) return null;
        }

        // qkv = Add(MatMul(x, W), b) with W [C, 3·hidden], b [3·hidden].
        var addQkv = From(split.Input[0], "Add");
        if (addQkv is null) return null;
        string bias = inits.ContainsKey(addQkv.Input[1]) ? addQkv.Input[1] : inits.ContainsKey(addQkv.Input[0]) ? addQkv.Input[0] : "";
        if (bias.Length == 0) return null;
        var mm = From(bias == addQkv.Input[1] ? addQkv.Input[0] : addQkv.Input[1], "MatMul");
        if (mm is null || !inits.TryGetValue(mm.Input[1], out var w) || w.Dims.Count != 2 || w.Dims[1] != 3 * hidden) return null;
        if (w.DataType != (int)TensorProto.Types.DataType.Float || inits[bias].Dims.Count != 1 || inits[bias].Dims[0] != 3 * hidden) return null;
        if (scoreBias is not null && scoreBias.Dims.Count == 3 && scoreBias.Dims[0] != heads && scoreBias.Dims[0] != 1) return null;
        if (scoreBias is not null && scoreBias.Dims.Count == 4 && scoreBias.Dims[1] != heads && scoreBias.Dims[1] != 1) return null;
        nodes.AddRange([addQkv, mm]);

        string name = mm.Name.EndsWith("/MatMul", StringComparison.Ordinal) ? mm.Name[..^"/MatMul".Length] + "/Attention" : softmax.Name + "_Attention";
        return new Matched(name, mm.Input[0], mm.Input[1], bias, scoreBias, heads, outR.Output[0], softmax, split, [mm, addQkv, split], nodes);
    }

    private static bool Perm(NodeProto t, params long[] perm) => t.GetInts("perm") is { } p && p.SequenceEqual(perm);

    private static long[]? Shape(NodeProto reshape, Dictionary<string, TensorProto> inits) =>
        reshape.Input.Count > 1 && inits.TryGetValue(reshape.Input[1], out var s) ? Tensors.ToInt64s(s) : null;
}

/// <summary>What an attention subgraph becomes.</summary>
public enum AttentionForm
{
    /// <summary>
    /// com.microsoft MultiHeadAttention on the Split q, k, v: the qkv projection stays a MatMul, so it is quantized
    /// like any Linear layer (int8 weights, one kernel for any batch size).
    /// </summary>
    MultiHeadAttention,
    /// <summary>com.microsoft Attention with the qkv projection inside (float weights; fewest nodes).</summary>
    Attention,
}
