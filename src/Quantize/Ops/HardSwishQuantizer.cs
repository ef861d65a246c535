namespace Edge.Quantize.Ops;

/// <summary>
/// HardSwish(x) = x · HardSigmoid(x) with α = 1/6, β = 1/2 (MobileNetV3's activation) on an int8 input → two
/// com.microsoft ops: QLinearAdd(x read with scale s/6, 0.5) saturating into [0, 1] (the clip, see
/// <see cref="HardSigmoidQuantizer"/>), then QLinearMul(x, that gate). The gate's range is exactly [0, 1] (step
/// 1/255), needing no calibration. QDQ form: DQ → HardSwish → Q.
/// </summary>
public sealed class HardSwishQuantizer : IOpQuantizer
{
    public IReadOnlyList<string> OpTypes { get; } = ["HardSwish"];

    public OpResult Quantize(NodeProto node, QuantizationContext ctx)
    {
        if (!ctx.Options.IsStatic) return OpResult.Float("dynamic mode quantizes only weighted ops");
        var xq = ctx.Quantized(node.Input[0]);
        if (xq is null) return OpResult.Float("input is not int8 already (would add a Q/DQ round trip)");
        var plan = ctx.PlanOutput(node.Output[0]);
        if (plan is null) return OpResult.Float($"no calibrated range for output {node.Output[0]}");
        if (ctx.IsQdq)
        {
            string qdq = ctx.CommitOutput(plan);
            ctx.Node("HardSwish", node.Name, [ctx.Read(xq)], [qdq]);
            return OpResult.As("QDQ HardSwish");
        }
        var half = ctx.QuantizeActivation(ctx.ScalarConstant(node.Name + "/half", 0.5f));
        var (gate, gateOut) = ctx.CommitIntermediate(node.Output[0] + "_gate", QuantParams.FromRange(0f, 1f, ctx.Options.ActivationType, symmetric: false));
        ctx.Node("QLinearAdd", node.Name + "_gate",
            [xq.QuantName, ctx.ScaledScale(xq, 1f / 6f), xq.ZeroPointName, half.QuantName, half.ScaleName, half.ZeroPointName, gate.ScaleName, gate.ZeroPointName], [gateOut], Nodes.MsDomain);
        string y = ctx.CommitOutput(plan);
        var yq = ctx.Quantized(plan.FloatName)!;
        ctx.Node("QLinearMul", node.Name + "_quant",
            [xq.QuantName, xq.ScaleName, xq.ZeroPointName, gate.QuantName, gate.ScaleName, gate.ZeroPointName, yq.ScaleName, yq.ZeroPointName], [y], Nodes.MsDomain);
        return OpResult.As("QLinearAdd + QLinearMul (x · hard-sigmoid)");
    }
}
