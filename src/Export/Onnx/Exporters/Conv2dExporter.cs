using Edge.Core;
using Edge.Export.Onnx.Graph;
using TorchSharp;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

/// <summary>Conv2d → Conv (zero padding only; explicit pads so the graph never depends on auto_pad).</summary>
public sealed class Conv2dExporter : ModuleExporter<Conv2d>
{
    protected override OnnxValue Export(ExportContext ctx, Conv2d conv, string path, OnnxValue input)
    {
        if (conv.padding_mode != PaddingModes.Zeros)
            throw new EdgeException($"Cannot export '{path}': Conv2d padding mode {conv.padding_mode} (only zeros is supported).");
        var k = conv.kernel_size;
        var d = conv.dilation;
        var s = conv.stride;
        long[] pad = conv.padding_type switch
        {
            Padding.Valid => [0, 0],
            Padding.Same => [d[0] * (k[0] - 1) / 2, d[1] * (k[1] - 1) / 2],
            _ => conv.padding ?? [0, 0],
        };
        if (conv.padding_type == Padding.Same && (d[0] * (k[0] - 1) % 2 != 0 || d[1] * (k[1] - 1) % 2 != 0))
            throw new EdgeException($"Cannot export '{path}': asymmetric 'same' padding.");

        var g = ctx.Graph;
        var w = g.Constant(path, "weight", ExportContext.Floats(conv.weight), conv.weight.shape);
        OnnxValue? b = conv.bias is { } bias ? g.Constant(path, "bias", ExportContext.Floats(bias), bias.shape) : null;
        long[] outShape =
        [
            input[0], conv.out_channels,
            ShapeMath.Window(input[2], k[0], s[0], pad[0], pad[0], d[0]),
            ShapeMath.Window(input[3], k[1], s[1], pad[1], pad[1], d[1]),
        ];
        return g.Node(path, "Conv", b is null ? [input, w] : [input, w, b], outShape,
            Attr.Ints("kernel_shape", k), Attr.Ints("strides", s), Attr.Ints("dilations", d),
            Attr.Ints("pads", pad[0], pad[1], pad[0], pad[1]), Attr.Int("group", conv.groups));
    }
}
