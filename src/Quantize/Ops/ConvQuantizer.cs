
namespace Edge.Quantize.Ops;

/// <summary>
/// Conv → QLinearConv (QOperator) or DQ → Conv → Q (QDQ, fused by ONNX Runtime), per-channel weights on
/// axis 0 and an int32 bias; in dynamic mode, optionally DynamicQuantizeLinear → ConvInteger → rescale.
/// </summary>
public sealed class ConvQuantizer : IOpQuantizer
{
    public IReadOnlyList<string> OpTypes { get; } = ["Conv"];

    public OpResult Quantize(NodeProto node, QuantizationContext ctx)
    {
        string x = node.Input[0], w = node.Input[1];
        string? b = node.Input.Count > 2 && node.Input[2].Length > 0 ? node.Input[2] : null;
        if (!ctx.IsFloatConstant(w)) return OpResult.Float("weight is not a float constant");
        if (b is not null && !ctx.IsFloatConstant(b)) return OpResult.Float("bias is not a float constant");
        if (ctx.Mode == QuantizationMode.Dynamic) return Dynamic(node, ctx, x, w, b);
        if (!ctx.CanQuantizeActivation(x)) return OpResult.Float($"no calibrated range for input {x}");
        var plan = ctx.PlanOutput(node.Output[0]);
        if (plan is null) return OpResult.Float($"no calibrated range for output {node.Output[0]}");

        var xq = ctx.QuantizeActivation(x);
        var wq = ctx.QuantizeWeight(w, axis: 0);
        int channels = (int)wq.Dims[0];
        string? bq = b is null ? null : ctx.QuantizeBias(b, xq.Params.Scale, wq, channels);
        string y = ctx.CommitOutput(plan);
        NodeProto conv;
        if (ctx.IsQdq)
        {
            var inputs = new List<string> { ctx.Read(xq), ctx.DequantizeWeight(wq) };
            if (bq is not null) inputs.Add(bq);
            conv = ctx.Node("Conv", node.Name, inputs, [y]);
        }
        else
        {
            var yq = ctx.Quantized(plan.FloatName)!;
            var inputs = new List<string> { xq.QuantName, xq.ScaleName, xq.ZeroPointName, wq.QuantName, wq.ScaleName, wq.ZeroPointName, yq.ScaleName, yq.ZeroPointName };
            if (bq is not null) inputs.Add(bq);
            conv = ctx.Node("QLinearConv", node.Name + "_quant", inputs, [y]);
        }
        Attr.CopyAll(node, conv);
        return OpResult.As(ctx.IsQdq ? "QDQ Conv" : "QLinearConv");
    }

    private static OpResult Dynamic(NodeProto node, QuantizationContext ctx, string x, string w, string? b)
    {
        if (!ctx.Options.DynamicConv) return OpResult.Float("dynamic mode leaves Conv in float (set DynamicConv to quantize it)");
        // ConvInteger takes uint8 on both sides with per-tensor zero points.
        var wq = ctx.QuantizeWeightAs(w, QuantType.UInt8);
        string xq = ctx.Unique(x + "_quantized"), xs = ctx.Unique(x + "_scale"), xz = ctx.Unique(x + "_zero_point");
        ctx.Node("DynamicQuantizeLinear", x + "_DynamicQuantizeLinear", [x], [xq, xs, xz]);
        string acc = ctx.Unique(node.Output[0] + "_int32");
        var conv = ctx.Node("ConvInteger", node.Name + "_quant", [xq, wq.QuantName, xz, wq.ZeroPointName], [acc]);
        Attr.CopyAll(node, conv);
        string accF = ctx.Unique(acc + "_float");
        ctx.Node("Cast", acc + "_Cast", [acc], [accF]).Attribute.Add(new AttributeProto { Name = "to", Type = AttributeProto.Types.AttributeType.Int, I = (int)TensorProto.Types.DataType.Float });
        string scale = ctx.Unique(node.Output[0] + "_scale");
        ctx.Node("Mul", scale + "_Mul", [xs, wq.ScaleName], [scale]);
        if (b is null)
        {
            ctx.Node("Mul", node.Name + "_rescale", [accF, scale], [node.Output[0]]);
        }
        else
        {
            string scaled = ctx.Unique(node.Output[0] + "_scaled");
            ctx.Node("Mul", node.Name + "_rescale", [accF, scale], [scaled]);
            string bias = ctx.ReshapedBias(b, (int)wq.Dims.Length);
            ctx.Node("Add", node.Name + "_bias", [scaled, bias], [node.Output[0]]);
        }
        return OpResult.As("ConvInteger");
    }
}
