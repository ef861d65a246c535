namespace Edge.Quantize.Ops;

/// <summary>
/// HardSigmoid(x) = clip(αx + β, 0, 1) on an int8 input → one com.microsoft QLinearAdd: its first operand is x's
/// integers read with scale α·s (so the op sees αx), its second the constant β, and its output range ends inside
/// [0, 1], where requantization saturates — the clip comes free. The gate of a MobileNetV3 squeeze-excitation block.
/// QDQ form: DQ → HardSigmoid → Q.
/// </summary>
public sealed class HardSigmoidQuantizer : IOpQuantizer
{
    public IReadOnlyList<string> OpTypes { get; } = ["HardSigmoid"];

    public OpResult Quantize(NodeProto node, QuantizationContext ctx)
    {
        if (!ctx.Options.IsStatic) return OpResult.Float("dynamic mode quantizes only weighted ops");
        float alpha = node.GetFloat("alpha") ?? 0.2f, beta = node.GetFloat("beta") ?? 0.5f;
        if (!(alpha > 0)) return OpResult.Float($"alpha {alpha} is not positive (no scale can carry it)");
        var xq = ctx.Quantized(node.Input[0]);
        if (xq is null) return OpResult.Float("input is not int8 already (would add a Q/DQ round trip)");
        var plan = ctx.PlanOutput(node.Output[0]);
        if (plan is null) return OpResult.Float($"no calibrated range for output {node.Output[0]}");
        if (ctx.IsQdq)
        {
            string qdq = ctx.CommitOutput(plan);
            var n = ctx.Node("HardSigmoid", node.Name, [ctx.Read(xq)], [qdq]);
            Attr.CopyAll(node, n);
            return OpResult.As("QDQ HardSigmoid");
        }
        var bq = ctx.QuantizeActivation(ctx.ScalarConstant(node.Name + "/beta", beta));
        string y = ctx.CommitOutput(plan);
        var yq = ctx.Quantized(plan.FloatName)!;
        ctx.Node("QLinearAdd", node.Name + "_quant",
            [xq.QuantName, ctx.ScaledScale(xq, alpha), xq.ZeroPointName, bq.QuantName, bq.ScaleName, bq.ZeroPointName, yq.ScaleName, yq.ZeroPointName], [y], Nodes.MsDomain);
        return OpResult.As("QLinearAdd (αx + β, saturating)");
    }
}
