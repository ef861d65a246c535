using Edge.Distill.Models;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

public sealed class TinyVitExporter : ModuleExporter<TinyVit>
{
    protected override OnnxValue Export(ExportContext ctx, TinyVit m, string path, OnnxValue input)
    {
        var x = ctx.Child(m, path, m.PatchEmbed, input);
        x = ctx.Child(m, path, m.Stages, x);
        return ctx.Child(m, path, m.Head, x);
    }
}
