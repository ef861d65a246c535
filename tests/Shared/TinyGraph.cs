using Edge.Onnx.Proto;
using Google.Protobuf;

namespace Edge.Testing;

/// <summary>Builds small ONNX graphs in code for per-op quantizer and graph-pass tests (float input [N, ...], seeded weights).</summary>
public sealed class TinyGraph
{
    private readonly GraphProto _graph = new() { Name = "tiny" };
    private readonly Random _rng;
    private int _count;

    public TinyGraph(int seed = 1) => _rng = new Random(seed);

    public string Input(string name, params long[] sampleDims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = "N" });
        foreach (long d in sampleDims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        _graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } });
        return name;
    }

    public string Weight(string name, long[] dims, float std = 0.3f)
    {
        long n = dims.Aggregate(1L, (a, b) => a * b);
        var v = new float[n];
        for (long i = 0; i < n; i++) v[i] = (float)((_rng.NextDouble() * 2 - 1) * std * 1.7);
        var t = new TensorProto { Name = name, DataType = 1, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan())) };
        t.Dims.AddRange(dims);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A float initializer with the given values.</summary>
    public string Constant(string name, long[] dims, params float[] values)
    {
        var t = new TensorProto { Name = name, DataType = 1, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        _graph.Initializer.Add(t);
        return name;
    }

    /// <summary>Declares <paramref name="tensor"/>'s shape in value_info (a negative size is the symbolic batch "N").</summary>
    public void Declare(string tensor, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "N" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        _graph.ValueInfo.Add(new ValueInfoProto { Name = tensor, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1, Shape = shape } } });
    }

    public string Ints(string name, params long[] values)
    {
        var t = new TensorProto { Name = name, DataType = 7 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        _graph.Initializer.Add(t);
        return name;
    }

    public string Op(string opType, string[] inputs, params (string Name, object Value)[] attrs)
    {
        string name = $"{opType.ToLowerInvariant()}{_count++}";
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(name + "_out");
        foreach (var (an, av) in attrs)
        {
            var a = new AttributeProto { Name = an };
            switch (av)
            {
                case long i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
                case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
                case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
                case long[] ints: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ints); break;
                default: throw new ArgumentException(an);
            }
            node.Attribute.Add(a);
        }
        _graph.Node.Add(node);
        return node.Output[0];
    }

    public string Conv(string x, long cin, long cout, long k = 3, bool bias = true, long stride = 1)
    {
        string w = Weight($"w{_count}", [cout, cin, k, k], 1f / MathF.Sqrt(cin * k * k));
        var inputs = bias ? new[] { x, w, Weight($"b{_count}", [cout], 0.1f) } : new[] { x, w };
        return Op("Conv", inputs, ("kernel_shape", new[] { k, k }), ("pads", new[] { k / 2, k / 2, k / 2, k / 2 }), ("strides", new[] { stride, stride }));
    }

    public void Output(string name) => _graph.Output.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });

    public ModelProto Build(long opset = 17)
    {
        var m = new ModelProto { IrVersion = 8, ProducerName = "edge-tests", Graph = _graph };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return m;
    }

    public string Save(string dir, string file = "model.onnx", long opset = 17)
    {
        string path = Path.Combine(dir, file);
        File.WriteAllBytes(path, Build(opset).ToByteArray());
        return path;
    }
}
