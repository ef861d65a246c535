
namespace Edge.Quantize.Ops;

/// <summary>
/// MatMul with a constant 2-D weight → QLinearMatMul (QOperator), DQ → MatMul → Q (QDQ) or
/// DynamicQuantizeMatMul (dynamic). MatMul of two activations (attention) only when
/// <see cref="QuantizeOptions.QuantizeActivationMatMul"/> is set.
/// </summary>
public sealed class MatMulQuantizer : IOpQuantizer
{
    public IReadOnlyList<string> OpTypes { get; } = ["MatMul"];

    public OpResult Quantize(NodeProto node, QuantizationContext ctx)
    {
        string a = node.Input[0], b = node.Input[1];
        bool constWeight = ctx.IsFloatConstant(b) && ctx.Initializer(b)!.Dims.Count == 2;
        // Static QOperator: a result that goes on in int8 is better left to QLinearMatMul (no float round trip).
        // Dynamic mode has no int8 consumers, whatever FeedsInt8 (a static-mode notion) says.
        // (QuantizeOptions.Validate refuses the form in QDQ mode.)
        if (constWeight && ctx.Options.LinearsAsQLinearConv && (ctx.Mode == QuantizationMode.Dynamic || !ctx.FeedsInt8(node.Output[0]))
            && LinearAsQLinearConv.TryQuantize(node, ctx) is { } asConv)
            return asConv;
        if (ctx.Mode == QuantizationMode.Dynamic)
        {
            if (!constWeight) return OpResult.Float("dynamic mode needs a constant 2-D weight");
            var w = ctx.QuantizeWeight(b, axis: 1);
            // A following bias Add runs inside the kernel: one op instead of two per Linear layer.
            var bias = ctx.TakeBiasAdd(node.Output[0], w.Dims[1]);
            var inputs = new List<string> { a, w.QuantName, w.ScaleName, w.ZeroPointName };
            if (bias is { } bi) inputs.Add(ctx.ScaledConstant(bi.Bias, 1f, (int)w.Dims[1]));
            string output = bias is { } ba ? ba.Add.Output[0] : node.Output[0];
            ctx.Node("DynamicQuantizeMatMul", node.Name + "_quant", inputs, [output], Nodes.MsDomain);
            return OpResult.As(bias is null ? "DynamicQuantizeMatMul" : "DynamicQuantizeMatMul (+bias)");
        }
        if (!constWeight && !(ctx.Options.QuantizeActivationMatMul && ctx.CanQuantizeActivation(b)))
            return OpResult.Float(ctx.Options.QuantizeActivationMatMul ? $"no calibrated range for input {b}" : "both inputs are activations (set QuantizeActivationMatMul)");
        if (!ctx.CanQuantizeActivation(a)) return OpResult.Float($"no calibrated range for input {a}");
        if (constWeight)
        {
            // Nothing downstream runs in int8 (GELU, LayerNorm, Softmax, a float residual): write float directly,
            // with a following bias Add inside the kernel, instead of int8 → DequantizeLinear → float Add.
            long n = ctx.Initializer(b)!.Dims[1];
            var bias = ctx.PeekBiasAdd(node.Output[0], n);
            string final = bias is { } pb ? pb.Add.Output[0] : node.Output[0];
            if (!ctx.FeedsInt8(final)) return FloatOutput(node, ctx, a, b, n);
        }
        var plan = ctx.PlanOutput(node.Output[0]);
        if (plan is null) return OpResult.Float($"no calibrated range for output {node.Output[0]}");

        var aq = ctx.QuantizeActivation(a);
        string bRead, bScale, bZero;
        if (constWeight)
        {
            // Per-column scales: ONNX Runtime's QLinearMatMul takes a [N] b_scale / b_zero_point for a 2-D B.
            var w = ctx.QuantizeWeight(b, axis: 1);
            bRead = ctx.IsQdq ? ctx.DequantizeWeight(w) : w.QuantName;
            (bScale, bZero) = (w.ScaleName, w.ZeroPointName);
        }
        else
        {
            var bq = ctx.QuantizeActivation(b);
            bRead = ctx.Read(bq);
            (bScale, bZero) = (bq.ScaleName, bq.ZeroPointName);
        }
        string y = ctx.CommitOutput(plan);
        if (ctx.IsQdq)
        {
            ctx.Node("MatMul", node.Name, [ctx.Read(aq), bRead], [y]);
            return OpResult.As("QDQ MatMul");
        }
        var yq = ctx.Quantized(plan.FloatName)!;
        ctx.Node("QLinearMatMul", node.Name + "_quant", [aq.QuantName, aq.ScaleName, aq.ZeroPointName, bRead, bScale, bZero, yq.ScaleName, yq.ZeroPointName], [y]);
        return OpResult.As("QLinearMatMul");
    }

    /// <summary>
    /// int8 inputs, float output: com.microsoft MatMulIntegerToFloat with the bias folded in (QOperator), or
    /// DQ → MatMul with no Q after it, which ONNX Runtime fuses into the same kernel (QDQ).
    /// </summary>
    private static OpResult FloatOutput(NodeProto node, QuantizationContext ctx, string a, string b, long n)
    {
        var aq = ctx.QuantizeActivation(a);
        var w = ctx.QuantizeWeight(b, axis: 1);
        if (ctx.IsQdq)
        {
            ctx.Node("MatMul", node.Name, [ctx.Read(aq), ctx.DequantizeWeight(w)], [node.Output[0]]);
            return OpResult.As("QDQ MatMul (float output)");
        }
        var bias = ctx.TakeBiasAdd(node.Output[0], n);
        var inputs = new List<string> { aq.QuantName, w.QuantName, aq.ScaleName, w.ScaleName, aq.ZeroPointName, w.ZeroPointName };
        if (bias is { } bi) inputs.Add(ctx.ScaledConstant(bi.Bias, 1f, (int)n));
        string output = bias is { } ba ? ba.Add.Output[0] : node.Output[0];
        ctx.Node("MatMulIntegerToFloat", node.Name + "_quant", inputs, [output], Nodes.MsDomain);
        return OpResult.As(bias is null ? "MatMulIntegerToFloat" : "MatMulIntegerToFloat (+bias)");
    }
}
