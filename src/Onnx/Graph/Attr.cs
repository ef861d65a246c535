using Edge.Onnx.Proto;
using Google.Protobuf;

namespace Edge.Onnx.Graph;

/// <summary>Typed constructors and readers of node attributes (the one place attributes are built or read).</summary>
public static class Attr
{
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto? Get(this NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    public static long[]? GetInts(this NodeProto node, string name) => node.Get(name)?.Ints.ToArray();

    public static long? GetInt(this NodeProto node, string name) => node.Get(name) is { } a ? a.I : null;

    public static float? GetFloat(this NodeProto node, string name) => node.Get(name) is { } a ? a.F : null;

    public static string? GetString(this NodeProto node, string name) => node.Get(name) is { } a ? a.S.ToStringUtf8() : null;

    /// <summary>Sets (adds or replaces) an attribute.</summary>
    public static void Set(this NodeProto node, AttributeProto attribute)
    {
        int i = node.Attribute.ToList().FindIndex(a => a.Name == attribute.Name);
        if (i >= 0) node.Attribute[i] = attribute;
        else node.Attribute.Add(attribute);
    }

    /// <summary>Copies every attribute of <paramref name="from"/> onto <paramref name="to"/>.</summary>
    public static void CopyAll(NodeProto from, NodeProto to)
    {
        foreach (var a in from.Attribute) to.Attribute.Add(a.Clone());
    }
}
