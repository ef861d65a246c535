using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

/// <summary>
/// SiLU / Swish, x·σ(x), as exactly two nodes: <c>s = Sigmoid(x)</c>, then <c>Mul(x, s)</c> (the input first, the
/// sigmoid second). It is the pattern PyTorch's exporter writes, ONNX Runtime's optimizer rewrites it into its one-kernel
/// <c>com.microsoft.QuickGelu</c> (alpha 1; MobileCnnExporterTests.OnnxRuntimeFusesTheExportedSilu checks it), and a
/// quantizer matches it to keep SiLU in INT8 (e.g. QLinearSigmoid + QLinearMul, or a lookup on the pair).
/// </summary>
public sealed class SiluExporter : ModuleExporter<SiLU>
{
    protected override OnnxValue Export(ExportContext ctx, SiLU module, string path, OnnxValue input) => Silu(ctx.Graph, path, input);

    /// <summary>The two-node pattern above, for exporters that apply SiLU without a module.</summary>
    public static OnnxValue Silu(GraphBuilder g, string path, OnnxValue x) => g.Mul(path, x, g.Node(path, "Sigmoid", [x], x.Shape));
}
