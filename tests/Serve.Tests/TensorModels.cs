using Edge.Onnx.Proto;
using Google.Protobuf;
using DT = Edge.Onnx.Proto.TensorProto.Types.DataType;

namespace Edge.Serve.Tests;

/// <summary>Tiny ONNX tensor models built in code, for the datatype and protocol tests.</summary>
public static class TensorModels
{
    /// <summary>Every v2 datatype (ONNX element type) the server serves, by its wire name.</summary>
    public static readonly (string V2, DT Onnx)[] Types =
    [
        ("BOOL", DT.Bool), ("UINT8", DT.Uint8), ("UINT16", DT.Uint16), ("UINT32", DT.Uint32), ("UINT64", DT.Uint64),
        ("INT8", DT.Int8), ("INT16", DT.Int16), ("INT32", DT.Int32), ("INT64", DT.Int64),
        ("FP16", DT.Float16), ("BF16", DT.Bfloat16), ("FP32", DT.Float), ("FP64", DT.Double), ("BYTES", DT.String),
    ];

    /// <summary>The datatypes with a typed contents field in the v2 protocol (all but FP16 and BF16, which travel raw only).</summary>
    public static readonly (string V2, DT Onnx)[] TypedTypes = Types.Where(t => t.V2 is not ("FP16" or "BF16")).ToArray();

    public static readonly (string V2, DT Onnx)[] HalfTypes = Types.Where(t => t.V2 is "FP16" or "BF16").ToArray();

    /// <summary>IN_&lt;TYPE&gt; [batch, 3] → OUT_&lt;TYPE&gt; = Identity, for each of <paramref name="types"/>.</summary>
    public static void WriteIdentities(string path, IEnumerable<(string V2, DT Onnx)> types)
    {
        var graph = new GraphProto { Name = "identities" };
        foreach (var (v2, onnx) in types)
        {
            graph.Input.Add(Value($"IN_{v2}", onnx, -1, 3));
            graph.Output.Add(Value($"OUT_{v2}", onnx, -1, 3));
            graph.Node.Add(new NodeProto { OpType = "Identity", Name = $"id_{v2}", Input = { $"IN_{v2}" }, Output = { $"OUT_{v2}" } });
        }
        Save(path, graph);
    }

    /// <summary>FP16 INPUT0, INPUT1 [batch, 4] → OUTPUT0 = sum, OUTPUT1 = difference, computed by ONNX Runtime in FP16.</summary>
    public static void WriteFp16AddSub(string path)
    {
        var graph = new GraphProto { Name = "fp16_add_sub" };
        graph.Input.Add(Value("INPUT0", DT.Float16, -1, 4));
        graph.Input.Add(Value("INPUT1", DT.Float16, -1, 4));
        graph.Output.Add(Value("OUTPUT0", DT.Float16, -1, 4));
        graph.Output.Add(Value("OUTPUT1", DT.Float16, -1, 4));
        graph.Node.Add(new NodeProto { OpType = "Add", Name = "add", Input = { "INPUT0", "INPUT1" }, Output = { "OUTPUT0" } });
        graph.Node.Add(new NodeProto { OpType = "Sub", Name = "sub", Input = { "INPUT0", "INPUT1" }, Output = { "OUTPUT1" } });
        Save(path, graph);
    }

    /// <summary>FP32 X [2, 3] (no batch dimension) → Y = X * 2: served with max_batch_size 0.</summary>
    public static void WriteFixedDouble(string path)
    {
        var graph = new GraphProto { Name = "fixed_double" };
        graph.Input.Add(Value("X", DT.Float, 2, 3));
        graph.Output.Add(Value("Y", DT.Float, 2, 3));
        graph.Initializer.Add(new TensorProto { Name = "two", DataType = (int)DT.Float, FloatData = { 2f } });
        graph.Node.Add(new NodeProto { OpType = "Mul", Name = "mul", Input = { "X", "two" }, Output = { "Y" } });
        Save(path, graph);
    }

    /// <summary>FP32 input [batch, classes, 1, 1] → logits [batch, classes] = the input flattened: a classifier whose scores the test chooses.</summary>
    public static void WriteFlatten(string path, int classes)
    {
        var graph = new GraphProto { Name = "flatten" };
        graph.Input.Add(Value("input", DT.Float, -1, classes, 1, 1));
        graph.Output.Add(Value("logits", DT.Float, -1, classes));
        graph.Node.Add(new NodeProto { OpType = "Flatten", Name = "flatten", Input = { "input" }, Output = { "logits" } });
        Save(path, graph);
    }

    private static void Save(string path, GraphProto graph)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var model = new ModelProto { IrVersion = 8, ProducerName = "edge-serve-tests", Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } } };
        File.WriteAllBytes(path, model.ToByteArray());
    }

    private static ValueInfoProto Value(string name, DT type, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
            shape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
