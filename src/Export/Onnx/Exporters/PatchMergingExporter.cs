using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;
using TorchSharp;

namespace Edge.Export.Onnx.Exporters;

/// <summary>conv1-GELU-conv2(stride 2, depthwise)-GELU-conv3, NCHW throughout.</summary>
public sealed class PatchMergingExporter : ModuleExporter<PatchMerging>
{
    protected override OnnxValue Export(ExportContext ctx, PatchMerging m, string path, OnnxValue input)
    {
        var act = m.named_children().Single(c => c.name == "act").module;
        var x = ctx.Child(m, path, m.Conv1, input);
        x = ctx.Child(m, path, act, x);
        x = ctx.Child(m, path, m.Conv2, x);
        x = ctx.Child(m, path, act, x);
        return ctx.Child(m, path, m.Conv3, x);
    }
}
