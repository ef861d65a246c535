using Edge.Distill.Models;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

/// <summary>
/// Stem Conv + BN → act, the blocks, then the efficient head: GlobalAveragePool (left out on a 1x1 map), Reshape to
/// [N, C], <c>conv_head</c> as a Gemm (a 1x1 conv on a 1x1 map is that matrix product; as a Gemm it needs no NCHWc
/// reorder in ONNX Runtime), act, Gemm (dropout is the identity in eval).
/// </summary>
public sealed class MobileNetV3Exporter : ModuleExporter<MobileNetV3>
{
    protected override OnnxValue Export(ExportContext ctx, MobileNetV3 m, string path, OnnxValue input)
    {
        var g = ctx.Graph;
        var x = ctx.Child(m, path, m.ConvStem, input);
        x = ctx.Child(m, path, m.Bn1, x);
        x = ctx.Child(m, path, m.Act1, x);
        x = ctx.Child(m, path, m.Blocks, x);
        x = x[2] == 1 && x[3] == 1 ? x : g.Node(path, "GlobalAveragePool", [x], [x[0], x[1], 1, 1]);
        x = g.Reshape(path, x, -1, x[1]);

        var conv = m.ConvHead;
        string headPath = ExportContext.Join(path, "conv_head");
        long outC = conv.out_channels, inC = conv.in_channels;
        var w = g.Constant(headPath, "weight", ExportContext.Floats(conv.weight), outC, inC);
        var b = g.Constant(headPath, "bias", ExportContext.Floats(conv.bias!), outC);
        x = g.Node(headPath, "Gemm", [x, w, b], [x[0], outC], Attr.Int("transB", 1));

        x = ctx.Child(m, path, m.Act2, x);
        x = ctx.Child(m, path, m.HeadDrop, x);
        return ctx.Child(m, path, m.Classifier, x);
    }
}
