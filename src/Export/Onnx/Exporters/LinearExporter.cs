using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

/// <summary>
/// Linear → Gemm (transB) on [N, in]; on higher ranks MatMul with the weight stored pre-transposed [in, out]
/// plus Add, which ONNX Runtime fuses.
/// </summary>
public sealed class LinearExporter : ModuleExporter<Linear>
{
    protected override OnnxValue Export(ExportContext ctx, Linear linear, string path, OnnxValue input)
    {
        var g = ctx.Graph;
        long outF = linear.out_features, inF = linear.in_features;
        float[] w = ExportContext.Floats(linear.weight);
        float[]? b = linear.bias is { } bias ? ExportContext.Floats(bias) : null;
        if (input.Rank == 2)
        {
            var wv = g.Constant(path, "weight", w, outF, inF);
            var bv = b is null ? null : g.Constant(path, "bias", b, outF);
            return g.Node(path, "Gemm", bv is null ? [input, wv] : [input, wv, bv], [input[0], outF], Attr.Int("transB", 1));
        }
        return MatMulAdd(g, path, input, Transposed(w, outF, inF), b, inF, outF);
    }

    /// <summary>x @ wT + b with wT laid out [in, out]; shared with exporters that rewrite a Linear's weights.</summary>
    public static OnnxValue MatMulAdd(GraphBuilder g, string path, OnnxValue x, float[] wT, float[]? b, long inF, long outF)
    {
        var y = g.MatMul(path, x, g.Constant(path, "weight", wT, inF, outF));
        return b is null ? y : g.Add(path, y, g.Constant(path, "bias", b, outF));
    }

    /// <summary>[rows, cols] → [cols, rows].</summary>
    public static float[] Transposed(float[] w, long rows, long cols)
    {
        var t = new float[w.Length];
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
        return t;
    }
}
