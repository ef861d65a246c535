
namespace Edge.Quantize.Ops;

/// <summary>
/// A Linear layer (MatMul with a constant [K, N] weight, optional bias Add) written as a com.microsoft QLinearConv
/// 1x1 over a channels-last view of its input: QuantizeLinear → Reshape → QLinearConv → DequantizeLinear → Reshape,
/// with calibrated input and output ranges (<see cref="QuantizeOptions.LinearsAsQLinearConv"/>).
/// Why: ONNX Runtime's int8 GEMM (DynamicQuantizeMatMul, MatMulIntegerToFloat, QLinearMatMul) hands every product
/// to all intra-op threads, even a 1-row one, and on 2 threads that costs 5–6 µs per node; QLinearConv partitions
/// its work by output pixels in chunks of at least 64K multiply-adds, so a batch-1 transformer's 1–4-token GEMMs run
/// on the calling thread while batch-64 ones still use them all. Same int8 arithmetic, one extra rounding: the output.
/// The view is one image of all rows, [1, rows, 1, K]: QLinearConv parallelizes within an image only, so [B, T, 1, K]
/// would run a batch's images one after another on one thread. Rows are everything but the last axis; the leading
/// axis is the batch-dependent one (the model's batch, or batch × windows), restored by Reshape [-1, d1, .., N].
/// </summary>
public static class LinearAsQLinearConv
{
    /// <summary>The rewritten layer, or null when it does not apply (the caller's kernel then takes it); nothing is emitted then.</summary>
    public static OpResult? TryQuantize(NodeProto node, QuantizationContext ctx)
    {
        string a = node.Input[0], b = node.Input[1];
        var weight = ctx.Initializer(b)!;
        long k = weight.Dims[0], n = weight.Dims[1];
        // A [.., K] token tensor of rank 2–4 with a known batch-1 shape.
        if (ctx.Shapes is null || !ctx.Shapes.TryGetValue(a, out var inShape) || inShape.Length is < 2 or > 4 || inShape[^1] != k) return null;
        // More rows than the limit: QLinearConv splits them across threads anyway, and DynamicQuantizeMatMul needs no
        // separate quantize/dequantize/reshape nodes (about 0.8 µs per layer here) nor their passes over batch-64 tensors.
        if (inShape[..^1].Aggregate(1L, (x, y) => x * y) > ctx.Options.QLinearConvMaxRows) return null;
        // Both ends need calibrated ranges: the input's, and the output's after a folded bias Add.
        if (!ctx.CanQuantizeActivation(a)) return null;
        var bias = ctx.PeekBiasAdd(node.Output[0], n);
        string final = bias is { } pb ? pb.Add.Output[0] : node.Output[0];
        if (ctx.Ranges is null || !ctx.Ranges.TryGet(final, out var outRange)) return null;
        if (bias is not null) ctx.TakeBiasAdd(node.Output[0], n);

        var aq = ctx.QuantizeActivation(a);
        var w = ctx.QuantizeWeight(b, axis: 1);
        string convWeight = ctx.TransposedWeightAsConv(w);
        string x = ctx.ReshapeTo(node.Name + "_to_nhwc", aq.QuantName, [1, -1, 1, k]);

        var yp = ctx.ActivationParams(outRange.Min, outRange.Max);
        var (yScale, yZero) = ctx.AddParams(final, yp);
        ctx.ActivationScales.Add(yp.Scale);
        var inputs = new List<string> { x, aq.ScaleName, aq.ZeroPointName, convWeight, w.ScaleName, w.ZeroPointName, yScale, yZero };
        if (bias is { } bi) inputs.Add(ctx.QuantizeBias(bi.Bias, aq.Params.Scale, w, (int)n));
        string yq = ctx.Unique(final + "_nhwc_quantized");
        var conv = ctx.Node("QLinearConv", node.Name + "_qconv", inputs, [yq], Nodes.MsDomain);
        conv.Attribute.Add(new AttributeProto { Name = "channels_last", Type = AttributeProto.Types.AttributeType.Int, I = 1 });
        conv.Attribute.Add(new AttributeProto { Name = "kernel_shape", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 1, 1 } });

        string dq = ctx.Unique(final + "_nhwc");
        ctx.Node("DequantizeLinear", final + "_DequantizeLinear", [yq, yScale, yZero], [dq]);
        long[] back = [.. inShape];
        back[0] = -1;
        back[^1] = n;
        ctx.ReshapeTo(node.Name + "_from_nhwc", dq, back, final);
        return OpResult.As(bias is null ? "QLinearConv 1x1 (channels-last)" : "QLinearConv 1x1 (channels-last, +bias)");
    }
}
