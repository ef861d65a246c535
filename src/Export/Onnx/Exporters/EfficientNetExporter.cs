using Edge.Distill.Models;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

/// <summary>Stem Conv + BN → act, the blocks, head Conv + BN → act, GlobalAveragePool (left out on a 1x1 map),
/// Reshape to [N, C], Gemm (dropout is the identity in eval).</summary>
public sealed class EfficientNetExporter : ModuleExporter<EfficientNet>
{
    protected override OnnxValue Export(ExportContext ctx, EfficientNet m, string path, OnnxValue input)
    {
        var g = ctx.Graph;
        var x = ctx.Child(m, path, m.ConvStem, input);
        x = ctx.Child(m, path, m.Bn1, x);
        x = ctx.Child(m, path, m.Act1, x);
        x = ctx.Child(m, path, m.Blocks, x);
        x = ctx.Child(m, path, m.ConvHead, x);
        x = ctx.Child(m, path, m.Bn2, x);
        x = ctx.Child(m, path, m.Act2, x);
        x = x[2] == 1 && x[3] == 1 ? x : g.Node(path, "GlobalAveragePool", [x], [x[0], x[1], 1, 1]);
        x = g.Reshape(path, x, -1, x[1]);
        x = ctx.Child(m, path, m.HeadDrop, x);
        return ctx.Child(m, path, m.Classifier, x);
    }
}
