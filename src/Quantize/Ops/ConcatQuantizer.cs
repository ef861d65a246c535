namespace Edge.Quantize.Ops;

/// <summary>
/// Concat of int8 tensors (or constants) → com.microsoft QLinearConcat, which requantizes each input to the output's
/// calibrated scale; QDQ form: DQ → Concat → Q. Only where every non-constant input is int8 already (a CNN's
/// branch merge), for the same reason as <see cref="BinaryQuantizer"/>.
/// </summary>
public sealed class ConcatQuantizer : IOpQuantizer
{
    public IReadOnlyList<string> OpTypes { get; } = ["Concat"];

    public OpResult Quantize(NodeProto node, QuantizationContext ctx)
    {
        if (!ctx.Options.IsStatic) return OpResult.Float("dynamic mode quantizes only weighted ops");
        if (node.GetInt("axis") is null) return OpResult.Float("no axis attribute");
        var inputs = node.Input.Where(i => i.Length > 0).ToArray();
        if (inputs.All(ctx.IsFloatConstant)) return OpResult.Float("every input is a constant");
        foreach (string input in inputs)
            if (!ctx.IsQuantized(input) && !ctx.IsFloatConstant(input))
                return OpResult.Float($"input {input} is float (int8 only pays off when every operand already is)");
        var plan = ctx.PlanOutput(node.Output[0]);
        if (plan is null) return OpResult.Float($"no calibrated range for output {node.Output[0]}");
        var quantized = inputs.Select(ctx.QuantizeActivation).ToArray();
        string y = ctx.CommitOutput(plan);
        if (ctx.IsQdq)
        {
            var c = ctx.Node("Concat", node.Name, quantized.Select(ctx.Read), [y]);
            Attr.CopyAll(node, c);
            return OpResult.As("QDQ Concat");
        }
        var yq = ctx.Quantized(plan.FloatName)!;
        var q = ctx.Node("QLinearConcat", node.Name + "_quant",
            [yq.ScaleName, yq.ZeroPointName, .. quantized.SelectMany(x => new[] { x.QuantName, x.ScaleName, x.ZeroPointName })], [y], Nodes.MsDomain);
        Attr.CopyAll(node, q);
        return OpResult.As("QLinearConcat");
    }
}
