using Edge.Distill.Models;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

public sealed class SimpleCnnExporter : ModuleExporter<SimpleCnn>
{
    protected override OnnxValue Export(ExportContext ctx, SimpleCnn m, string path, OnnxValue input) =>
        ctx.Child(m, path, m.Classifier, ctx.Child(m, path, m.Features, input));
}
