using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

/// <summary>GlobalAveragePool + Reshape to [N, C], LayerNormalization, Gemm.</summary>
public sealed class ClassifierHeadExporter : ModuleExporter<ClassifierHead>
{
    protected override OnnxValue Export(ExportContext ctx, ClassifierHead m, string path, OnnxValue input)
    {
        var g = ctx.Graph;
        var pooled = input[2] == 1 && input[3] == 1 ? input : g.Node(path, "GlobalAveragePool", [input], [input[0], input[1], 1, 1]);
        var x = g.Reshape(path, pooled, -1, input[1]);
        x = ctx.Child(m, path, m.Norm, x);
        return ctx.Child(m, path, m.Fc, x);
    }
}
