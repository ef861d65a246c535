using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

/// <summary>Hard-swish, x·relu6(x + 3)/6, as the one ONNX <c>HardSwish</c> op (opset 14; x·max(0, min(1, x/6 + ½))).</summary>
public sealed class HardswishExporter : ModuleExporter<Hardswish>
{
    protected override OnnxValue Export(ExportContext ctx, Hardswish module, string path, OnnxValue input) =>
        ctx.Graph.Node(path, "HardSwish", [input], input.Shape);
}
