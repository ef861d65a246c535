using Edge.Core;
using Edge.Core.IO;
using Edge.Onnx.Proto;
using Google.Protobuf;

namespace Edge.Onnx;

/// <summary>Reads ONNX models with clear errors, and writes them atomically.</summary>
public static class ModelFile
{
    public static ModelProto Load(string path)
    {
        if (!File.Exists(path)) throw new EdgeException($"model not found: {path}");
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new EdgeException($"{path} is not a readable ONNX model (truncated or another format): {e.Message}", e);
        }
        if (model.Graph is null || model.Graph.Node.Count == 0 || model.IrVersion <= 0 || model.OpsetImport.Count == 0)
            throw new EdgeException($"{path} is not an ONNX model: it has no graph, nodes, IR version or opset");
        return model;
    }

    public static long DefaultOpset(ModelProto model) =>
        model.OpsetImport.FirstOrDefault(o => !o.HasDomain || o.Domain is "" or "ai.onnx")?.Version ?? 0;

    public static void Save(ModelProto model, string path) =>
        AtomicFile.Write(path, s => model.WriteTo(s));

    /// <summary>Refuses to write over the input: the input model is never modified.</summary>
    public static void CheckDistinct(string input, string output)
    {
        if (string.Equals(Path.GetFullPath(input), Path.GetFullPath(output), StringComparison.Ordinal))
            throw new EdgeException($"output path {output} is the input model; choose another path (the input is never modified)");
    }
}
