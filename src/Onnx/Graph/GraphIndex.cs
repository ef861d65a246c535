using Edge.Onnx.Proto;

namespace Edge.Onnx.Graph;

/// <summary>
/// Producer, consumers, initializers and declared shapes of every tensor of a graph, and fresh names: what every
/// pattern-matching pass, the exporter's passes and the quantizer's context read the graph through. Built once from
/// the graph; <see cref="Add"/>, <see cref="Unique"/> and <see cref="ReplaceUses"/> keep it current, other edits
/// (node lists) are the caller's to apply, usually in one <see cref="Splice"/> at the end.
/// </summary>
public sealed class GraphIndex
{
    private readonly Dictionary<string, NodeProto> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorShapeProto> _declared = new(StringComparer.Ordinal);
    private readonly HashSet<string> _outputs;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public GraphIndex(GraphProto graph)
    {
        Graph = graph;
        Initializers = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer) Initializers.TryAdd(t.Name, t);
        foreach (var n in graph.Node)
        {
            foreach (string o in n.Output) _producer[o] = n;
            foreach (string i in n.Input.Distinct())
            {
                if (i.Length == 0) continue;
                if (!_consumers.TryGetValue(i, out var list)) _consumers[i] = list = [];
                list.Add(n);
            }
            _names.Add(n.Name);
            _names.UnionWith(n.Output);
        }
        _outputs = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        _names.UnionWith(Initializers.Keys);
        _names.UnionWith(graph.Input.Select(i => i.Name));
        foreach (var v in graph.Input.Concat(graph.Output).Concat(graph.ValueInfo))
            if (v.Type?.TensorType?.Shape is { } s) _declared.TryAdd(v.Name, s);
    }

    public GraphProto Graph { get; }

    public Dictionary<string, TensorProto> Initializers { get; }

    public NodeProto? Producer(string tensor) => _producer.GetValueOrDefault(tensor);

    /// <summary>The nodes reading <paramref name="tensor"/>, each once (a node reading it twice, as x·x, is listed once).</summary>
    public IReadOnlyList<NodeProto> Consumers(string tensor) => _consumers.TryGetValue(tensor, out var l) ? l : [];

    public bool IsGraphOutput(string tensor) => _outputs.Contains(tensor);

    public IReadOnlySet<string> GraphOutputs => _outputs;

    /// <summary>The only reader of <paramref name="tensor"/> when it is <paramref name="opType"/> in the default domain and the tensor is not a graph output.</summary>
    public NodeProto? SingleConsumer(string tensor, string opType) =>
        !IsGraphOutput(tensor) && Consumers(tensor) is [var c] && c.OpType == opType && IsDefaultDomain(c) ? c : null;

    public TensorProto? FloatInitializer(string name) =>
        Initializers.TryGetValue(name, out var t) && t.DataType == (int)TensorProto.Types.DataType.Float ? t : null;

    public bool IsFloatConstant(string name) => FloatInitializer(name) is not null;

    /// <summary>
    /// The shape the graph declares for <paramref name="tensor"/> (graph input/output or value_info; an initializer's
    /// dims), or null. Exported graphs declare every intermediate; others may declare none (see <see cref="ShapeProbe"/>).
    /// </summary>
    public TensorShapeProto? DeclaredShape(string tensor)
    {
        if (_declared.TryGetValue(tensor, out var s)) return s;
        if (!Initializers.TryGetValue(tensor, out var t)) return null;
        var shape = new TensorShapeProto();
        foreach (long d in t.Dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return shape;
    }

    /// <summary>Adds an INT64 vector initializer (a shape or axes) under a fresh name based on <paramref name="name"/>; returns that name.</summary>
    public string AddInts(string name, params long[] values) => Add(Tensors.Int64(Unique(name), [values.Length], values));

    /// <summary>Adds a float initializer under a fresh name based on <paramref name="name"/>; returns that name.</summary>
    public string AddFloats(string name, long[] dims, float[] values) => Add(Tensors.Float(Unique(name), dims, values));

    /// <summary>Adds <paramref name="initializer"/> to the graph and to <see cref="Initializers"/>; returns its name.</summary>
    public string Add(TensorProto initializer)
    {
        Graph.Initializer.Add(initializer);
        Initializers[initializer.Name] = initializer;
        _names.Add(initializer.Name);
        return initializer.Name;
    }

    /// <summary>A tensor or node name not used anywhere in the graph yet (and reserves it).</summary>
    public string Unique(string name)
    {
        string n = name;
        for (int i = 1; _names.Contains(n); i++) n = $"{name}_{i}";
        _names.Add(n);
        return n;
    }

    /// <summary>Points every node reading <paramref name="from"/> at <paramref name="to"/> (graph outputs keep their names).</summary>
    public void ReplaceUses(string from, string to)
    {
        foreach (var node in Consumers(from).ToArray())
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == from) node.Input[i] = to;
        if (_consumers.Remove(from, out var readers))
        {
            if (!_consumers.TryGetValue(to, out var list)) _consumers[to] = list = [];
            foreach (var r in readers) if (!list.Contains(r)) list.Add(r);
        }
    }

    /// <summary>
    /// Rewrites <paramref name="graph"/>'s node list in order: each key of <paramref name="replace"/> becomes its
    /// nodes, nodes in <paramref name="remove"/> go. value_info is kept only for tensors some node still produces, so a
    /// removed tensor's stale (NCHW) shape cannot mislead ONNX Runtime.
    /// </summary>
    public static void Splice(GraphProto graph, IReadOnlyDictionary<NodeProto, List<NodeProto>> replace, IReadOnlySet<NodeProto> remove)
    {
        var list = new List<NodeProto>();
        foreach (var n in graph.Node)
        {
            if (replace.TryGetValue(n, out var r)) list.AddRange(r);
            else if (!remove.Contains(n)) list.Add(n);
        }
        graph.Node.Clear();
        graph.Node.AddRange(list);
        PruneValueInfo(graph);
    }

    /// <summary>Removes <paramref name="remove"/> from the node list (by reference) and prunes value_info (see <see cref="Splice"/>).</summary>
    public static void Remove(GraphProto graph, IReadOnlySet<NodeProto> remove) =>
        Splice(graph, new Dictionary<NodeProto, List<NodeProto>>(ReferenceEqualityComparer.Instance), remove);

    /// <summary>Drops value_info of tensors no node of <paramref name="graph"/> produces any more (a stale shape could mislead ONNX Runtime).</summary>
    public static void PruneValueInfo(GraphProto graph)
    {
        var live = new HashSet<string>(graph.Node.SelectMany(n => n.Output), StringComparer.Ordinal);
        var keep = graph.ValueInfo.Where(v => live.Contains(v.Name)).ToList();
        if (keep.Count == graph.ValueInfo.Count) return;
        graph.ValueInfo.Clear();
        graph.ValueInfo.AddRange(keep);
    }

    public static bool IsDefaultDomain(NodeProto n) => n.Domain is "" or "ai.onnx";

    /// <summary>A node set keyed by reference: protobuf messages compare by value, and two nodes may be equal.</summary>
    public static HashSet<NodeProto> NodeSet() => new(ReferenceEqualityComparer.Instance);

    /// <summary>A replacement map keyed by reference (see <see cref="NodeSet"/>).</summary>
    public static Dictionary<NodeProto, List<NodeProto>> ReplacementMap() => new(ReferenceEqualityComparer.Instance);
}
