using Edge.Onnx.Proto;

namespace Edge.Export.Quantize.Graph;

/// <summary>Producer, consumers and initializers of every tensor of a graph, for pattern-matching passes.</summary>
internal sealed class GraphIndex
{
    private readonly Dictionary<string, NodeProto> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _outputs;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    private readonly GraphProto _graph;

    public GraphIndex(GraphProto graph)
    {
        _graph = graph;
        Initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var n in graph.Node)
        {
            foreach (string o in n.Output) _producer[o] = n;
            foreach (string i in n.Input.Distinct())
            {
                if (!_consumers.TryGetValue(i, out var list)) _consumers[i] = list = [];
                list.Add(n);
            }
            _names.Add(n.Name);
            _names.UnionWith(n.Output);
        }
        _outputs = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        _names.UnionWith(Initializers.Keys);
        _names.UnionWith(graph.Input.Select(i => i.Name));
    }

    public Dictionary<string, TensorProto> Initializers { get; }

    public NodeProto? Producer(string tensor) => _producer.GetValueOrDefault(tensor);

    public IReadOnlyList<NodeProto> Consumers(string tensor) => _consumers.TryGetValue(tensor, out var l) ? l : [];

    public bool IsGraphOutput(string tensor) => _outputs.Contains(tensor);

    /// <summary>The only reader of <paramref name="tensor"/> when it is <paramref name="opType"/> in the default domain and the tensor is not a graph output.</summary>
    public NodeProto? SingleConsumer(string tensor, string opType) =>
        !IsGraphOutput(tensor) && Consumers(tensor) is [var c] && c.OpType == opType && IsDefaultDomain(c) ? c : null;

    public TensorProto? FloatInitializer(string name) =>
        Initializers.TryGetValue(name, out var t) && t.DataType == (int)TensorProto.Types.DataType.Float ? t : null;

    /// <summary>Adds an INT64 vector initializer (a shape or axes) under a fresh name based on <paramref name="name"/>; returns that name.</summary>
    public string AddInts(string name, params long[] values) => Add(Tensors.Int64(Unique(name), [values.Length], values));

    /// <summary>Adds a float initializer under a fresh name based on <paramref name="name"/>; returns that name.</summary>
    public string AddFloats(string name, long[] dims, float[] values) => Add(Tensors.Float(Unique(name), dims, values));

    /// <summary>Adds <paramref name="initializer"/> to the graph and to <see cref="Initializers"/>; returns its name.</summary>
    public string Add(TensorProto initializer)
    {
        _graph.Initializer.Add(initializer);
        Initializers[initializer.Name] = initializer;
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

    /// <summary>Drops value_info of tensors no node of <paramref name="graph"/> produces any more (a stale shape could mislead ONNX Runtime).</summary>
    public static void PruneValueInfo(GraphProto graph)
    {
        var live = new HashSet<string>(graph.Node.SelectMany(n => n.Output), StringComparer.Ordinal);
        var keep = graph.ValueInfo.Where(v => live.Contains(v.Name)).ToList();
        graph.ValueInfo.Clear();
        graph.ValueInfo.AddRange(keep);
    }

    public static bool IsDefaultDomain(NodeProto n) => n.Domain is "" or "ai.onnx";

    public static long[]? Ints(NodeProto n, string attribute) =>
        n.Attribute.FirstOrDefault(a => a.Name == attribute) is { } a ? a.Ints.ToArray() : null;

    public static long? Int(NodeProto n, string attribute) =>
        n.Attribute.FirstOrDefault(a => a.Name == attribute) is { } a ? a.I : null;

    public static string? Str(NodeProto n, string attribute) =>
        n.Attribute.FirstOrDefault(a => a.Name == attribute) is { } a ? a.S.ToStringUtf8() : null;

    public static NodeProto Node(string op, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, string domain = "")
    {
        var n = new NodeProto { OpType = op, Name = name, Domain = domain };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        return n;
    }

    public static AttributeProto IntsAttribute(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
