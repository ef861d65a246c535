using Edge.Core;
using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

/// <summary>AdaptiveAvgPool2d to 1x1 → GlobalAveragePool; other output sizes are not supported.</summary>
public sealed class AdaptiveAvgPool2dExporter : ModuleExporter<AdaptiveAvgPool2d>
{
    protected override OnnxValue Export(ExportContext ctx, AdaptiveAvgPool2d pool, string path, OnnxValue input)
    {
        var size = pool.output_size;
        if (size.Any(s => s != 1))
            throw new EdgeException($"Cannot export '{path}': AdaptiveAvgPool2d to [{string.Join(",", size)}] (only 1x1 is supported).");
        return ctx.Graph.Node(path, "GlobalAveragePool", [input], [input[0], input[1], 1, 1]);
    }
}
