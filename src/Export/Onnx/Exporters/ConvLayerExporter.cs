using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

public sealed class ConvLayerExporter : ModuleExporter<ConvLayer>
{
    protected override OnnxValue Export(ExportContext ctx, ConvLayer m, string path, OnnxValue input) =>
        ctx.Child(m, path, m.Blocks, input);
}
