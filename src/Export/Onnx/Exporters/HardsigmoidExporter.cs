using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

/// <summary>Hard sigmoid, relu6(x + 3)/6, as ONNX <c>HardSigmoid</c> with alpha 1/6 and beta ½ (ONNX's defaults are
/// 0.2 and 0.5, Keras' form, so both are written explicitly).</summary>
public sealed class HardsigmoidExporter : ModuleExporter<Hardsigmoid>
{
    protected override OnnxValue Export(ExportContext ctx, Hardsigmoid module, string path, OnnxValue input) =>
        ctx.Graph.Node(path, "HardSigmoid", [input], input.Shape, Attr.Float("alpha", 1f / 6f), Attr.Float("beta", 0.5f));
}
