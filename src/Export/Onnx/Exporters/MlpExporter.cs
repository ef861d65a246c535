using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;
using TorchSharp;

namespace Edge.Export.Onnx.Exporters;

public sealed class MlpExporter : ModuleExporter<Mlp>
{
    protected override OnnxValue Export(ExportContext ctx, Mlp m, string path, OnnxValue input)
    {
        var act = m.named_children().Single(c => c.name == "act").module;
        var x = ctx.Child(m, path, m.Norm, input);
        x = ctx.Child(m, path, m.Fc1, x);
        x = ctx.Child(m, path, act, x);
        return ctx.Child(m, path, m.Fc2, x);
    }
}
