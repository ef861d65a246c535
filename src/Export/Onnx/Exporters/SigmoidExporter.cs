using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

public sealed class SigmoidExporter : ModuleExporter<Sigmoid>
{
    protected override OnnxValue Export(ExportContext ctx, Sigmoid module, string path, OnnxValue input) =>
        ctx.Graph.Node(path, "Sigmoid", [input], input.Shape);
}
