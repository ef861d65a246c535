using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

/// <summary>Conv → BatchNormalization (folded into the Conv by the BN pass) → act, then the residual Add when the block has one.</summary>
public sealed class ConvBnActExporter : ModuleExporter<ConvBnAct>
{
    protected override OnnxValue Export(ExportContext ctx, ConvBnAct m, string path, OnnxValue input)
    {
        var x = ctx.Child(m, path, m.Conv, input);
        x = ctx.Child(m, path, m.Bn1, x);
        x = ctx.Child(m, path, m.Act1, x);
        return m.HasSkip ? ctx.Graph.Add(path, x, input) : x;
    }
}
