using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Onnx.Proto;
using Google.Protobuf;

namespace Edge.Cli.Tests;

/// <summary>Small ONNX models built in code for tests that need a model with a particular shape.</summary>
internal static class TinyModels
{
    /// <summary>input [batch, c, h, w] → logits [batch, c*h*w]: the model's output IS its input tensor.</summary>
    public static void WriteIdentity(string path, int c, int h, int w) =>
        Write(path, c, h, w, c * h * w, graph =>
        {
            graph.Initializer.Add(new TensorProto { Name = "shape", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 2 }, Int64Data = { -1, c * h * w } });
            graph.Node.Add(new NodeProto { OpType = "Reshape", Name = "flatten", Input = { "input", "shape" }, Output = { "logits" } });
        });

    /// <summary>input [batch, c, h, w] → per-channel means [batch, c]: a "classifier" with c classes.</summary>
    public static void WriteChannelMean(string path, int c, int h, int w) =>
        Write(path, c, h, w, c, graph =>
        {
            graph.Initializer.Add(new TensorProto { Name = "axes", DataType = (int)TensorProto.Types.DataType.Int64, Dims = { 2 }, Int64Data = { 2, 3 } });
            graph.Node.Add(new NodeProto { OpType = "ReduceMean", Name = "mean", Input = { "input", "axes" }, Output = { "logits" }, Attribute = { new AttributeProto { Name = "keepdims", Type = AttributeProto.Types.AttributeType.Int, I = 0 } } });
        });

    public static ModelManifest Manifest(string name, string file, PreprocessSpec spec, int classes) => new()
    {
        Name = name, ModelFile = file,
        Labels = Enumerable.Range(0, classes).Select(i => $"c{i}").ToArray(),
        Input = new TensorSpec("input", [-1, spec.Channels, spec.Height, spec.Width]),
        Output = new OutputSpec("logits", [-1, classes]),
        Preprocess = spec,
    };

    private static void Write(string path, int c, int h, int w, int outputs, Action<GraphProto> body)
    {
        var graph = new GraphProto { Name = "tiny" };
        graph.Input.Add(Value("input", "batch", c, h, w));
        graph.Output.Add(Value("logits", "batch", outputs));
        body(graph);
        var model = new ModelProto { IrVersion = 8, ProducerName = "edge-tests", Graph = graph, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 18 } } };
        File.WriteAllBytes(path, model.ToByteArray());
    }

    private static ValueInfoProto Value(string name, string batch, params int[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (var d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }
}
