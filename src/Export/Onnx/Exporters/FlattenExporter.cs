using Edge.Core;
using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

/// <summary>Flatten(start_dim=1) → Reshape [-1, rest] (static apart from the batch).</summary>
public sealed class FlattenExporter : ModuleExporter<Flatten>
{
    protected override OnnxValue Export(ExportContext ctx, Flatten flatten, string path, OnnxValue input)
    {
        long end = flatten.end_dim < 0 ? flatten.end_dim + input.Rank : flatten.end_dim;
        if (flatten.start_dim != 1 || end != input.Rank - 1)
            throw new EdgeException($"Cannot export '{path}': Flatten({flatten.start_dim}, {flatten.end_dim}) (only Flatten(1, -1) is supported).");
        long rest = input.Shape[1..].Aggregate(1L, (a, b) => a * b);
        return ctx.Graph.Reshape(path, input, -1, rest);
    }
}
