using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

public sealed class MaxPool2dExporter : ModuleExporter<MaxPool2d>
{
    protected override OnnxValue Export(ExportContext ctx, MaxPool2d pool, string path, OnnxValue input)
    {
        var k = pool.kernel_size;
        var s = pool.stride ?? k;
        var p = pool.padding ?? [0, 0];
        var d = pool.dilation ?? [1, 1];
        long[] outShape =
        [
            input[0], input[1],
            ShapeMath.Window(input[2], k[0], s[0], p[0], p[0], d[0], pool.ceil_mode),
            ShapeMath.Window(input[3], k[1], s[1], p[1], p[1], d[1], pool.ceil_mode),
        ];
        return ctx.Graph.Node(path, "MaxPool", [input], outShape,
            Attr.Ints("kernel_shape", k), Attr.Ints("strides", s), Attr.Ints("pads", p[0], p[1], p[0], p[1]),
            Attr.Ints("dilations", d), Attr.Int("ceil_mode", pool.ceil_mode ? 1 : 0));
    }
}
