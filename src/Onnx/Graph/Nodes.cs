using Edge.Onnx.Proto;

namespace Edge.Onnx.Graph;

/// <summary>Builds nodes (the name is the caller's: take it from <see cref="GraphIndex.Unique"/>).</summary>
public static class Nodes
{
    public const string MsDomain = "com.microsoft";

    public static NodeProto Create(string op, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, string domain = "", params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = name };
        if (domain.Length > 0) n.Domain = domain;
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        n.Attribute.AddRange(attributes);
        return n;
    }

    /// <summary>Adds the com.microsoft opset import when some node uses that domain.</summary>
    public static void ImportMsDomainIfUsed(ModelProto model)
    {
        if (model.Graph.Node.Any(n => n.Domain == MsDomain) && !model.OpsetImport.Any(o => o.Domain == MsDomain))
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = MsDomain, Version = 1 });
    }
}
