using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

public sealed class ReluExporter : ModuleExporter<ReLU>
{
    protected override OnnxValue Export(ExportContext ctx, ReLU module, string path, OnnxValue input) =>
        ctx.Graph.Node(path, "Relu", [input], input.Shape);
}
