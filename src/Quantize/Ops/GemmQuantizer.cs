
namespace Edge.Quantize.Ops;

/// <summary>
/// Gemm (a Linear layer) with a constant weight → com.microsoft QGemm (QOperator), DQ → Gemm → Q (QDQ) or
/// DynamicQuantizeMatMul (dynamic). A Gemm whose consumers all run in float (a classifier's logits) writes
/// float directly (QGemm can), which saves a DequantizeLinear.
/// </summary>
public sealed class GemmQuantizer : IOpQuantizer
{
    public IReadOnlyList<string> OpTypes { get; } = ["Gemm"];

    public OpResult Quantize(NodeProto node, QuantizationContext ctx)
    {
        string a = node.Input[0], b = node.Input[1];
        string? c = node.Input.Count > 2 && node.Input[2].Length > 0 ? node.Input[2] : null;
        float alpha = Attr(node, "alpha")?.F ?? 1f, beta = Attr(node, "beta")?.F ?? 1f;
        bool transA = (Attr(node, "transA")?.I ?? 0) != 0, transB = (Attr(node, "transB")?.I ?? 0) != 0;
        if (!ctx.IsFloatConstant(b) || ctx.Initializer(b)!.Dims.Count != 2) return OpResult.Float("weight is not a constant 2-D float tensor");
        if (transA) return OpResult.Float("transA is not supported");
        if (alpha != 1f) return OpResult.Float("alpha ≠ 1 is not supported");
        var bDims = ctx.Initializer(b)!.Dims;
        int n = (int)(transB ? bDims[0] : bDims[1]);
        if (c is not null && (!ctx.IsFloatConstant(c) || Tensors.ElementCount(ctx.Initializer(c)!) is var len && len != n && len != 1))
            return OpResult.Float("bias C is not a constant of N or 1 values");
        int axis = transB ? 0 : 1;

        if (ctx.Mode == QuantizationMode.Dynamic)
        {
            // DynamicQuantizeMatMul computes A·B + bias with B as [K, N]: transpose a transB weight once, here.
            string wName = transB ? ctx.TransposedConstant(b) : b;
            var w = ctx.QuantizeWeight(wName, axis: 1);
            var inputs = new List<string> { a, w.QuantName, w.ScaleName, w.ZeroPointName };
            if (c is not null) inputs.Add(ctx.ScaledConstant(c, beta, n));
            ctx.Node("DynamicQuantizeMatMul", node.Name + "_quant", inputs, [node.Output[0]], Nodes.MsDomain);
            return OpResult.As("DynamicQuantizeMatMul");
        }

        if (!ctx.CanQuantizeActivation(a)) return OpResult.Float($"no calibrated range for input {a}");
        string y0 = node.Output[0];
        bool floatOutput = !ctx.FeedsInt8(y0);
        var plan = floatOutput ? null : ctx.PlanOutput(y0);
        if (!floatOutput && plan is null) return OpResult.Float($"no calibrated range for output {y0}");

        var aq = ctx.QuantizeActivation(a);
        var wq = ctx.QuantizeWeight(b, axis);
        string? cq = c is null ? null : ctx.QuantizeBias(c, aq.Params.Scale, wq, n, beta);
        string y = plan is null ? y0 : ctx.CommitOutput(plan);
        NodeProto gemm;
        if (ctx.IsQdq)
        {
            var inputs = new List<string> { ctx.Read(aq), ctx.DequantizeWeight(wq) };
            if (cq is not null) inputs.Add(cq);
            gemm = ctx.Node("Gemm", node.Name, inputs, [y]);
            foreach (var attr in node.Attribute) if (attr.Name != "beta") gemm.Attribute.Add(attr.Clone());
            return OpResult.As(floatOutput ? "QDQ Gemm (float output)" : "QDQ Gemm");
        }
        var qInputs = new List<string> { aq.QuantName, aq.ScaleName, aq.ZeroPointName, wq.QuantName, wq.ScaleName, wq.ZeroPointName, cq ?? "" };
        if (plan is not null)
        {
            var yq = ctx.Quantized(plan.FloatName)!;
            qInputs.Add(yq.ScaleName);
            qInputs.Add(yq.ZeroPointName);
        }
        while (qInputs[^1].Length == 0) qInputs.RemoveAt(qInputs.Count - 1);
        gemm = ctx.Node("QGemm", node.Name + "_quant", qInputs, [y], Nodes.MsDomain);
        foreach (var attr in node.Attribute) if (attr.Name is "transA" or "transB") gemm.Attribute.Add(attr.Clone());
        return OpResult.As(floatOutput ? "QGemm (float output)" : "QGemm");
    }

    private static AttributeProto? Attr(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);
}
