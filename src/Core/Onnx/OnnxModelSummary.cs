using Edge.Onnx.Proto;
using Google.Protobuf;

namespace Edge.Core.Onnx;

/// <summary>What `edge inspect` and the quickstart summary say about an ONNX file: ops, parameters, size.</summary>
public sealed record OnnxModelSummary(
    string Path, long FileBytes, long IrVersion, IReadOnlyDictionary<string, long> Opsets, int Nodes,
    IReadOnlyDictionary<string, int> OpHistogram, long Parameters, IReadOnlyDictionary<string, long> ParametersByType,
    IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, string Producer)
{
    public static OnnxModelSummary Read(string path)
    {
        var model = Load(path);
        var graph = model.Graph;
        var histogram = graph.Node
            .GroupBy(n => string.IsNullOrEmpty(n.Domain) || n.Domain == "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}")
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count());
        var byType = graph.Initializer
            .GroupBy(t => ((TensorProto.Types.DataType)t.DataType).ToString().ToLowerInvariant())
            .ToDictionary(g => g.Key, g => g.Sum(t => t.Dims.Aggregate(1L, (a, d) => a * d)));
        var initializerNames = graph.Initializer.Select(t => t.Name).ToHashSet();
        return new OnnxModelSummary(
            path, new FileInfo(path).Length, model.IrVersion,
            model.OpsetImport.ToDictionary(o => string.IsNullOrEmpty(o.Domain) ? "ai.onnx" : o.Domain, o => o.Version),
            graph.Node.Count, histogram, byType.Values.Sum(), byType,
            graph.Input.Where(i => !initializerNames.Contains(i.Name)).Select(Describe).ToArray(),
            graph.Output.Select(Describe).ToArray(),
            string.Join(" ", new[] { model.ProducerName, model.ProducerVersion }.Where(s => !string.IsNullOrEmpty(s))));
    }

    /// <summary>Parses an ONNX file, failing with a message that names the file when it is not ONNX.</summary>
    public static ModelProto Load(string path)
    {
        if (!File.Exists(path))
            throw new EdgeException($"model not found: {path}");
        try
        {
            using var stream = File.OpenRead(path);
            var model = ModelProto.Parser.ParseFrom(stream);
            if (model.Graph is null || model.Graph.Node.Count == 0)
                throw new EdgeException($"{path} is not an ONNX model (no graph); pass a .onnx file");
            return model;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new EdgeException($"{path} is not a valid ONNX file (truncated or not protobuf: {e.Message})");
        }
    }

    private static string Describe(ValueInfoProto v)
    {
        var t = v.Type?.TensorType;
        if (t is null) return v.Name;
        string dims = t.Shape is null ? "?" : string.Join(", ", t.Shape.Dim.Select(d => d.HasDimValue ? d.DimValue.ToString() : d.DimParam));
        return $"{v.Name}: {((TensorProto.Types.DataType)t.ElemType).ToString().ToLowerInvariant()}[{dims}]";
    }
}
