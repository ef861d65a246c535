
namespace Edge.Quantize.Ops;

/// <summary>
/// Ops that only move or select values (MaxPool, Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Identity):
/// on an int8 input they run on the integers and keep its scale, so an int8 chain continues through them.
/// </summary>
public sealed class PassThroughQuantizer : IOpQuantizer
{
    public IReadOnlyList<string> OpTypes { get; } = ["MaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Identity"];

    public OpResult Quantize(NodeProto node, QuantizationContext ctx)
    {
        if (!ctx.Options.IsStatic) return OpResult.Float("dynamic mode quantizes only weighted ops");
        string x = node.Input[0];
        if (node.Output.Count != 1) return OpResult.Float("more than one output");
        if (node.OpType == "MaxPool" && ctx.OnnxOpset < 12) return OpResult.Float("int8 MaxPool needs opset 12");
        var xq = ctx.Quantized(x);
        if (xq is null) return OpResult.Float("input is not int8 already");
        string y = ctx.CommitAlias(node.Output[0], xq);
        var n = ctx.Node(node.OpType, node.Name + (ctx.IsQdq ? "" : "_quant"), [ctx.Read(xq), .. node.Input.Skip(1)], [y], node.Domain);
        Attr.CopyAll(node, n);
        return OpResult.As((ctx.IsQdq ? "QDQ " : "int8 ") + node.OpType);
    }
}
