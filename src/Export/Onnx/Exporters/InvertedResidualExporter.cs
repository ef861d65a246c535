using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

/// <summary>1x1 Conv + BN → act → depthwise Conv + BN → act → squeeze-excitation → 1x1 Conv + BN → residual Add
/// (drop path is the identity in eval). Each Conv + BN pair becomes one Conv after BN folding.</summary>
public sealed class InvertedResidualExporter : ModuleExporter<InvertedResidual>
{
    protected override OnnxValue Export(ExportContext ctx, InvertedResidual m, string path, OnnxValue input)
    {
        var x = ctx.Child(m, path, m.ConvPw, input);
        x = ctx.Child(m, path, m.Bn1, x);
        x = ctx.Child(m, path, m.Act1, x);
        x = ctx.Child(m, path, m.ConvDw, x);
        x = ctx.Child(m, path, m.Bn2, x);
        x = ctx.Child(m, path, m.Act2, x);
        x = ctx.Child(m, path, m.Se, x);
        x = ctx.Child(m, path, m.ConvPwl, x);
        x = ctx.Child(m, path, m.Bn3, x);
        return m.HasSkip ? ctx.Graph.Add(path, x, input) : x;
    }
}
