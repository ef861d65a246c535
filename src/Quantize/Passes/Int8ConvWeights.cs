
namespace Edge.Quantize.Passes;

/// <summary>
/// Weight-only int8 for the convolutions that stay float: stores each weight as int8 with one scale per output
/// channel (symmetric, −127..127) and rebuilds it as <c>Mul(Cast(q, float), scale)</c>. Every input of those two
/// nodes is a constant, so ONNX Runtime's constant folding turns them back into a float initializer when the
/// session loads (it does not fold DequantizeLinear, which is why that form ran 1.6x slower — see
/// docs/BENCHMARKS.md): the file shrinks by ¾ of those weights while the conv still runs as a float NCHWc conv.
/// NOT exact (the weights are rounded to 8 bits), so its accuracy is measured like any quantization. Convs whose
/// weight has fewer than <see cref="MinElements"/> values are left alone (the two nodes and scales would not pay).
/// Meant for convs that stay float (dynamic mode): a rewritten conv's weight is no longer an initializer, so the
/// static modes leave that conv float ("weight is not a float constant") instead of making it a QLinearConv.
/// </summary>
public sealed class Int8ConvWeights : IGraphPass
{
    public int MinElements { get; init; } = 1024;

    public string Name => "int8-conv-weights";

    public int Apply(ModelProto model)
    {
        var graph = model.Graph;
        var index = new GraphIndex(graph);
        var added = new List<NodeProto>();
        var done = new Dictionary<string, string>(StringComparer.Ordinal);
        int n = 0;
        foreach (var conv in graph.Node.Where(c => c.OpType == "Conv" && GraphIndex.IsDefaultDomain(c)))
        {
            string wName = conv.Input[1];
            if (done.TryGetValue(wName, out string? rebuilt)) { conv.Input[1] = rebuilt; continue; }
            if (index.FloatInitializer(wName) is not { Dims.Count: >= 3 } w || Tensors.ElementCount(w) < MinElements) continue;
            var v = Tensors.ToFloats(w);
            long o = w.Dims[0], per = v.Length / o;
            var q = new byte[v.Length];
            var scales = new float[o];
            for (long ch = 0; ch < o; ch++)
            {
                float max = 0;
                for (long i = 0; i < per; i++) max = Math.Max(max, Math.Abs(v[ch * per + i]));
                float s = max == 0 ? 1f : max / 127f;
                scales[ch] = s;
                for (long i = 0; i < per; i++)
                    q[ch * per + i] = unchecked((byte)(sbyte)Math.Clamp(Math.Round(v[ch * per + i] / s, MidpointRounding.ToEven), -127, 127));
            }
            var qt = Tensors.Bytes(index.Unique(wName + "_int8"), QuantType.Int8.ToOnnx(), w.Dims, q);
            var scaleDims = new long[w.Dims.Count];
            Array.Fill(scaleDims, 1L);
            scaleDims[0] = o;
            var st = Tensors.Float(index.Unique(wName + "_int8_scale"), scaleDims, scales);
            graph.Initializer.Add(qt);
            graph.Initializer.Add(st);
            string cast = index.Unique(wName + "_int8_float"), full = index.Unique(wName + "_from_int8");
            var castNode = Nodes.Create("Cast", index.Unique(conv.Name + "/weight_cast"), [qt.Name], [cast]);
            castNode.Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Float });
            added.Add(castNode);
            added.Add(Nodes.Create("Mul", index.Unique(conv.Name + "/weight_scale"), [cast, st.Name], [full]));
            conv.Input[1] = full;
            done[wName] = full;
            n++;
        }
        if (n == 0) return 0;
        // Constants first: the rebuilt weights must exist before the first conv reads them.
        var nodes = added.Concat(graph.Node).ToList();
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        var stillUsed = new HashSet<string>(nodes.SelectMany(x => x.Input), StringComparer.Ordinal);
        var inits = graph.Initializer.Where(t => stillUsed.Contains(t.Name) || !done.ContainsKey(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(inits);
        return n;
    }
}
