
namespace Edge.Quantize.Ops;

/// <summary>
/// Add / Mul → com.microsoft QLinearAdd / QLinearMul, or DQ → op → Q. Only where every input is already
/// int8 or constant (a CNN residual, a bias): otherwise it would just add Q/DQ round trips.
/// </summary>
public sealed class BinaryQuantizer : IOpQuantizer
{
    public IReadOnlyList<string> OpTypes { get; } = ["Add", "Mul"];

    public OpResult Quantize(NodeProto node, QuantizationContext ctx)
    {
        if (!ctx.Options.IsStatic) return OpResult.Float("dynamic mode quantizes only weighted ops");
        string a = node.Input[0], b = node.Input[1];
        // Every non-constant input must be int8 already: quantizing a float operand just for one elementwise op
        // costs a QuantizeLinear plus a slower integer kernel (erf-GELU's x·Φ(x) would pay both 14 times in a TinyViT).
        if (ctx.IsFloatConstant(a) && ctx.IsFloatConstant(b)) return OpResult.Float("both inputs are constants");
        foreach (string input in new[] { a, b })
            if (!ctx.IsQuantized(input) && !ctx.IsFloatConstant(input))
                return OpResult.Float($"input {input} is float (int8 only pays off when every operand already is)");
        if (!ctx.CanQuantizeActivation(a) || !ctx.CanQuantizeActivation(b)) return OpResult.Float("an input has no calibrated range");
        var plan = ctx.PlanOutput(node.Output[0]);
        if (plan is null) return OpResult.Float($"no calibrated range for output {node.Output[0]}");
        var aq = ctx.QuantizeActivation(a);
        var bq = ctx.QuantizeActivation(b);
        string y = ctx.CommitOutput(plan);
        if (ctx.IsQdq)
        {
            ctx.Node(node.OpType, node.Name, [ctx.Read(aq), ctx.Read(bq)], [y]);
            return OpResult.As("QDQ " + node.OpType);
        }
        var yq = ctx.Quantized(plan.FloatName)!;
        string op = "QLinear" + node.OpType;
        ctx.Node(op, node.Name + "_quant", [aq.QuantName, aq.ScaleName, aq.ZeroPointName, bq.QuantName, bq.ScaleName, bq.ZeroPointName, yq.ScaleName, yq.ZeroPointName], [y], Nodes.MsDomain);
        return OpResult.As(op);
    }
}
