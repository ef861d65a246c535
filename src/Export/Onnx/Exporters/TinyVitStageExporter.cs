using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

/// <summary>PatchMerging on NCHW, then the blocks on NHWC, then back to NCHW (as the TorchSharp module).</summary>
public sealed class TinyVitStageExporter : ModuleExporter<TinyVitStage>
{
    protected override OnnxValue Export(ExportContext ctx, TinyVitStage m, string path, OnnxValue input)
    {
        var x = ctx.Child(m, path, m.Downsample, input);
        x = ctx.Graph.Transpose(path, x, 0, 2, 3, 1);
        x = ctx.Child(m, path, m.Blocks, x);
        return ctx.Graph.Transpose(path, x, 0, 3, 1, 2);
    }
}
