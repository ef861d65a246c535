using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

/// <summary>LayerNorm over the trailing normalized_shape axes → LayerNormalization (opset 17).</summary>
public sealed class LayerNormExporter : ModuleExporter<LayerNorm>
{
    protected override OnnxValue Export(ExportContext ctx, LayerNorm norm, string path, OnnxValue input)
    {
        var g = ctx.Graph;
        long[] dims = norm.normalized_shape;
        long count = dims.Aggregate(1L, (a, b) => a * b);
        var scale = g.Constant(path, "weight", norm.weight is null ? Enumerable.Repeat(1f, (int)count).ToArray() : ExportContext.Floats(norm.weight), dims);
        var bias = g.Constant(path, "bias", norm.bias is null ? new float[count] : ExportContext.Floats(norm.bias), dims);
        return g.Node(path, "LayerNormalization", [input, scale, bias], input.Shape,
            Attr.Int("axis", -dims.Length), Attr.Float("epsilon", (float)norm.eps));
    }
}
