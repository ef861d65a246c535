using Edge.Core;
using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

/// <summary>
/// BatchNorm2d (eval: running statistics) → BatchNormalization. After a Conv, the BatchNormFolding pass
/// merges it into the Conv's weights, so it usually costs nothing at inference.
/// </summary>
public sealed class BatchNorm2dExporter : ModuleExporter<BatchNorm2d>
{
    protected override OnnxValue Export(ExportContext ctx, BatchNorm2d bn, string path, OnnxValue input)
    {
        if (bn.running_mean is null || bn.running_var is null)
            throw new EdgeException($"Cannot export '{path}': BatchNorm2d without running statistics (track_running_stats=false).");
        long c = bn.num_features;
        var g = ctx.Graph;
        float[] Ones() => Enumerable.Repeat(1f, (int)c).ToArray();
        var scale = g.Constant(path, "weight", bn.weight is null ? Ones() : ExportContext.Floats(bn.weight), c);
        var bias = g.Constant(path, "bias", bn.bias is null ? new float[c] : ExportContext.Floats(bn.bias), c);
        var mean = g.Constant(path, "running_mean", ExportContext.Floats(bn.running_mean), c);
        var variance = g.Constant(path, "running_var", ExportContext.Floats(bn.running_var), c);
        return g.Node(path, "BatchNormalization", [input, scale, bias, mean, variance], input.Shape,
            Attr.Float("epsilon", (float)bn.eps));
    }
}
