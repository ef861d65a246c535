using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

/// <summary>
/// Squeeze-excitation as <c>GlobalAveragePool → Conv 1x1 (bias) → act → Conv 1x1 (bias) → Sigmoid | HardSigmoid →
/// Mul(x, gate)</c>: the input first, the [N, C, 1, 1] gate second, broadcast over H and W. On a 1x1 map the pool is
/// the identity and is left out. The act is whatever the block uses (Relu, the two-node SiLU, HardSwish).
/// </summary>
public sealed class SqueezeExciteExporter : ModuleExporter<SqueezeExcite>
{
    protected override OnnxValue Export(ExportContext ctx, SqueezeExcite m, string path, OnnxValue input)
    {
        var g = ctx.Graph;
        var s = input[2] == 1 && input[3] == 1 ? input : g.Node(path, "GlobalAveragePool", [input], [input[0], input[1], 1, 1]);
        s = ctx.Child(m, path, m.ConvReduce, s);
        s = ctx.Child(m, path, m.Act, s);
        s = ctx.Child(m, path, m.ConvExpand, s);
        s = ctx.Child(m, path, m.Gate, s);
        return g.Mul(path, input, s);
    }
}
