using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

/// <summary>
/// SiLU / Swish, x·σ(x), as exactly two nodes: <c>s = Sigmoid(x)</c>, then <c>Mul(x, s)</c> (the input first, the
/// sigmoid second). This is the pattern PyTorch's exporter writes, the one ONNX Runtime's QuickGelu fusion rewrites
/// into its single-kernel <c>com.microsoft.QuickGelu</c> (alpha 1) at the extended optimisation level, and the one a
/// quantizer matches to keep SiLU in INT8 (e.g. QLinearSigmoid + QLinearMul). The standard <c>Swish</c> op only
/// exists from opset 24, which ONNX Runtime 1.32's CPU kernels do not cover.
/// </summary>
public sealed class SiluExporter : ModuleExporter<SiLU>
{
    protected override OnnxValue Export(ExportContext ctx, SiLU module, string path, OnnxValue input) => Silu(ctx.Graph, path, input);

    /// <summary>The two-node pattern above, for exporters that apply SiLU without a module.</summary>
    public static OnnxValue Silu(GraphBuilder g, string path, OnnxValue x) => g.Mul(path, x, g.Node(path, "Sigmoid", [x], x.Shape));
}
