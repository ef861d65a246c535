using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;
using TorchSharp;

namespace Edge.Export.Onnx.Exporters;

/// <summary>conv1-GELU-conv2-GELU-conv3, residual Add, GELU (drop path is the identity in eval).</summary>
public sealed class MBConvExporter : ModuleExporter<MBConv>
{
    protected override OnnxValue Export(ExportContext ctx, MBConv m, string path, OnnxValue input)
    {
        var acts = m.named_children().Where(c => c.name.StartsWith("act")).ToDictionary(c => c.name, c => c.module);
        var x = ctx.Child(m, path, m.Conv1, input);
        x = ctx.Child(m, path, acts["act1"], x);
        x = ctx.Child(m, path, m.Conv2, x);
        x = ctx.Child(m, path, acts["act2"], x);
        x = ctx.Child(m, path, m.Conv3, x);
        x = ctx.Graph.Add(path, x, input);
        return ctx.Child(m, path, acts["act3"], x);
    }
}
