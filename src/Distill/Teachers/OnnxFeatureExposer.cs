using Edge.Core;
using Edge.Core.IO;
using Edge.Onnx.Proto;
using Google.Protobuf;

namespace Edge.Distill.Teachers;

/// <summary>
/// Makes intermediate tensors of an ONNX model observable: writes a copy of the model (to a temporary file, the
/// original is never touched) with the named node outputs added as float32 graph outputs.
/// </summary>
public static class OnnxFeatureExposer
{
    public static string WriteWithOutputs(string modelPath, IReadOnlyList<string> tensorNames)
    {
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(modelPath);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new EdgeException($"{modelPath} is not an ONNX model: {e.Message}");
        }
        var graph = model.Graph;
        var produced = graph.Node.SelectMany(n => n.Output).Where(o => o.Length > 0).ToHashSet(StringComparer.Ordinal);
        var existing = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in tensorNames)
        {
            if (!produced.Contains(name))
            {
                var sample = graph.Node.SelectMany(n => n.Output).Where(o => o.Length > 0).Take(12);
                throw new EdgeException($"{modelPath} has no intermediate tensor named '{name}'; some that exist: {string.Join(", ", sample)} (list them all with `edge inspect`)");
            }
            if (existing.Add(name))
                graph.Output.Add(new ValueInfoProto
                {
                    Name = name,
                    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
                });
        }
        string temp = Path.Combine(Path.GetTempPath(), $"edge-teacher-{Guid.NewGuid():N}.onnx");
        AtomicFile.Write(temp, s => model.WriteTo(s));
        return temp;
    }
}
