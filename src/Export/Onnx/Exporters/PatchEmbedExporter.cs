using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

public sealed class PatchEmbedExporter : ModuleExporter<PatchEmbed>
{
    protected override OnnxValue Export(ExportContext ctx, PatchEmbed m, string path, OnnxValue input)
    {
        var x = ctx.Child(m, path, m.Conv1, input);
        x = ctx.Child(m, path, m.Act, x);
        return ctx.Child(m, path, m.Conv2, x);
    }
}
