using Edge.Export.Onnx.Graph;
using Edge.Onnx.Proto;

namespace Edge.Export.Onnx;

/// <summary>
/// <see cref="OnnxGraph"/> → ModelProto. Every value whose shape the exporters tracked gets a value_info, so
/// tools (and the quantizer) see static shapes without running shape inference; dynamic axes are named
/// "batch" or "batch*k".
/// </summary>
public static class OnnxModelWriter
{
    /// <summary>IR version paired with each opset (onnx/helper.py VERSION_TABLE).</summary>
    private static long IrVersionFor(int opset) => opset switch
    {
        <= 18 => 8,
        <= 20 => 9,
        21 => 10,
        _ => 10,
    };

    public static ModelProto ToModel(OnnxGraph graph, OnnxExportOptions options, string graphName, IReadOnlyDictionary<string, string> metadata)
    {
        var g = new GraphProto { Name = graphName };
        g.Node.AddRange(graph.Nodes);
        g.Initializer.AddRange(graph.Initializers.Select(p => p.Value.ToProto(p.Key)));
        g.Input.AddRange(graph.Inputs.Select(i => ValueInfo(i.Name, i.Shape, options.BatchDimName)));
        g.Output.AddRange(graph.Outputs.Select(o => ValueInfo(o.Name, o.Shape, options.BatchDimName)));
        var io = new HashSet<string>(graph.Inputs.Select(i => i.Name).Concat(graph.Outputs.Select(o => o.Name)).Concat(graph.Initializers.Keys));
        foreach (var output in graph.Nodes.SelectMany(n => n.Output).Where(o => !io.Contains(o)))
            if (graph.Shapes.TryGetValue(output, out var shape))
                g.ValueInfo.Add(ValueInfo(output, shape, options.BatchDimName));

        var model = new ModelProto
        {
            IrVersion = IrVersionFor(options.Opset),
            ProducerName = "edge",
            ProducerVersion = typeof(OnnxModelWriter).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = g,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        foreach (var (key, value) in metadata)
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    private static ValueInfoProto ValueInfo(string name, long[] shape, string batch)
    {
        var tensorShape = new TensorShapeProto();
        foreach (var d in shape)
            tensorShape.Dim.Add(d >= 0
                ? new TensorShapeProto.Types.Dimension { DimValue = d }
                : new TensorShapeProto.Types.Dimension { DimParam = d == -1 ? batch : $"{batch}*{-d}" });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } },
        };
    }
}
