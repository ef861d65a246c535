using Edge.Core;
using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

/// <summary>
/// GELU → <c>Gelu</c> from opset 20; below, the exact erf form x * 0.5 * (1 + erf(x / sqrt 2)), the pattern
/// ONNX Runtime's optimizer recognises and fuses into its own Gelu kernel.
/// </summary>
public sealed class GeluExporter : ModuleExporter<GELU>
{
    protected override OnnxValue Export(ExportContext ctx, GELU gelu, string path, OnnxValue input)
    {
        var g = ctx.Graph;
        bool tanh = gelu.approximate == GELU.Approximate.tanh;
        if (g.Opset >= 20)
            return g.Node(path, "Gelu", [input], input.Shape, Attr.String("approximate", tanh ? "tanh" : "none"));
        if (tanh)
            throw new EdgeException($"Cannot export '{path}': tanh-approximated GELU needs opset 20 or later (got {g.Opset}).");
        var scaled = g.Node(path, "Div", [input, g.Constant(path, "sqrt2", ConstTensor.Scalar(MathF.Sqrt(2f)))], input.Shape);
        var erf = g.Node(path, "Erf", [scaled], input.Shape);
        var onePlus = g.Add(path, erf, g.Constant(path, "one", ConstTensor.Scalar(1f)));
        var times = g.Mul(path, input, onePlus);
        return g.Mul(path, times, g.Constant(path, "half", ConstTensor.Scalar(0.5f)));
    }
}
