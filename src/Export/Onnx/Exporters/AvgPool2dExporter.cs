using Edge.Core;
using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

public sealed class AvgPool2dExporter : ModuleExporter<AvgPool2d>
{
    protected override OnnxValue Export(ExportContext ctx, AvgPool2d pool, string path, OnnxValue input)
    {
        if (pool.divisor_override is not null)
            throw new EdgeException($"Cannot export '{path}': AvgPool2d divisor_override has no ONNX equivalent.");
        var k = pool.kernel_size;
        var s = pool.stride ?? k;
        var p = pool.padding ?? [0, 0];
        long[] outShape =
        [
            input[0], input[1],
            ShapeMath.Window(input[2], k[0], s[0], p[0], p[0], 1, pool.ceil_mode),
            ShapeMath.Window(input[3], k[1], s[1], p[1], p[1], 1, pool.ceil_mode),
        ];
        return ctx.Graph.Node(path, "AveragePool", [input], outShape,
            Attr.Ints("kernel_shape", k), Attr.Ints("strides", s), Attr.Ints("pads", p[0], p[1], p[0], p[1]),
            Attr.Int("ceil_mode", pool.ceil_mode ? 1 : 0), Attr.Int("count_include_pad", pool.count_include_pad ? 1 : 0));
    }
}
