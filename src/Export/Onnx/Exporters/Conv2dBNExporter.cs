using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

/// <summary>Conv then BatchNormalization; the BatchNormFolding pass merges the pair into one Conv.</summary>
public sealed class Conv2dBNExporter : ModuleExporter<Conv2dBN>
{
    protected override OnnxValue Export(ExportContext ctx, Conv2dBN module, string path, OnnxValue input) =>
        ctx.Child(module, path, module.Bn, ctx.Child(module, path, module.Conv, input));
}
