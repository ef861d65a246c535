namespace Edge.Quantize.Ops;

/// <summary>
/// Sigmoid on an int8 input → com.microsoft QLinearSigmoid (a 256-entry table ONNX Runtime builds from the two
/// scales), or DQ → Sigmoid → Q in QDQ form. With the Mul after it (x · sigmoid(x), SiLU/Swish) and the gate of a
/// squeeze-excitation block, this keeps a mobile CNN's blocks in int8 with no Q/DQ between them. Only where the input
/// is already int8: a QuantizeLinear just for one table lookup costs more than the float Sigmoid.
/// </summary>
public sealed class SigmoidQuantizer : IOpQuantizer
{
    public IReadOnlyList<string> OpTypes { get; } = ["Sigmoid"];

    public OpResult Quantize(NodeProto node, QuantizationContext ctx)
    {
        if (!ctx.Options.IsStatic) return OpResult.Float("dynamic mode quantizes only weighted ops");
        var xq = ctx.Quantized(node.Input[0]);
        if (xq is null) return OpResult.Float("input is not int8 already (would add a Q/DQ round trip)");
        var plan = ctx.PlanOutput(node.Output[0]);
        if (plan is null) return OpResult.Float($"no calibrated range for output {node.Output[0]}");
        string y = ctx.CommitOutput(plan);
        if (ctx.IsQdq)
        {
            ctx.Node("Sigmoid", node.Name, [ctx.Read(xq)], [y]);
            return OpResult.As("QDQ Sigmoid");
        }
        var yq = ctx.Quantized(plan.FloatName)!;
        ctx.Node("QLinearSigmoid", node.Name + "_quant", [xq.QuantName, xq.ScaleName, xq.ZeroPointName, yq.ScaleName, yq.ZeroPointName], [y], Nodes.MsDomain);
        return OpResult.As("QLinearSigmoid");
    }
}
