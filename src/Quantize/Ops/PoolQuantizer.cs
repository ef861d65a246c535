
namespace Edge.Quantize.Ops;

/// <summary>GlobalAveragePool / AveragePool on an int8 input → com.microsoft QLinearGlobalAveragePool / QLinearAveragePool.</summary>
public sealed class PoolQuantizer : IOpQuantizer
{
    public IReadOnlyList<string> OpTypes { get; } = ["GlobalAveragePool", "AveragePool"];

    public OpResult Quantize(NodeProto node, QuantizationContext ctx)
    {
        if (!ctx.Options.IsStatic) return OpResult.Float("dynamic mode quantizes only weighted ops");
        string x = node.Input[0];
        if (!ctx.IsQuantized(x)) return OpResult.Float("input is not int8 already (would add a Q/DQ round trip)");
        var plan = ctx.PlanOutput(node.Output[0]);
        if (plan is null) return OpResult.Float($"no calibrated range for output {node.Output[0]}");
        var xq = ctx.QuantizeActivation(x);
        string y = ctx.CommitOutput(plan);
        if (ctx.IsQdq)
        {
            var n = ctx.Node(node.OpType, node.Name, [ctx.Read(xq)], [y]);
            Attr.CopyAll(node, n);
            return OpResult.As("QDQ " + node.OpType);
        }
        var yq = ctx.Quantized(plan.FloatName)!;
        string op = "QLinear" + node.OpType;
        var q = ctx.Node(op, node.Name + "_quant", [xq.QuantName, xq.ScaleName, xq.ZeroPointName, yq.ScaleName, yq.ZeroPointName], [y], Nodes.MsDomain);
        Attr.CopyAll(node, q);
        q.Attribute.Add(new AttributeProto { Name = "channels_last", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
        return OpResult.As(op);
    }
}
