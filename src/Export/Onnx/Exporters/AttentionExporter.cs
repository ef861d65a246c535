using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;
using static TorchSharp.torch;

namespace Edge.Export.Onnx.Exporters;

/// <summary>
/// Window attention on [B', N, C] as plain MatMul/Softmax. At export time: qkv's per-head [q_h, k_h, v_h]
/// rows are regrouped into [Q | K | V] so one MatMul feeds one Split; the 1/sqrt(key_dim) scale is folded
/// into the Q rows; the learned biases are gathered into a constant [heads, N, N]; K is transposed
/// straight into [B', heads, key_dim, N]. A one-token window (a 1x1 map) reduces exactly to proj(v).
/// </summary>
public sealed class AttentionExporter : ModuleExporter<Attention>
{
    protected override OnnxValue Export(ExportContext ctx, Attention m, string path, OnnxValue input)
    {
        var g = ctx.Graph;
        long n = input[1], c = input[2], heads = m.NumHeads, kd = m.KeyDim, inner = heads * kd;
        string qkvPath = ExportContext.Join(path, "qkv");
        var x = ctx.Child(m, path, m.Norm, input);

        var (w, b) = RegroupQkv(ExportContext.Floats(m.Qkv.weight), ExportContext.Floats(m.Qkv.bias!), heads, kd, c);

        if (n == 1)
        {
            // softmax over a single key is exactly 1, so the output is v whatever q, k and the bias are.
            var wv = w[(int)(2 * inner * c)..];
            var bv = b[(int)(2 * inner)..];
            var v1 = LinearExporter.MatMulAdd(g, qkvPath, x, LinearExporter.Transposed(wv, inner, c), bv, c, inner);
            return ctx.Child(m, path, m.Proj, v1);
        }

        var qkv = LinearExporter.MatMulAdd(g, qkvPath, x, LinearExporter.Transposed(w, 3 * inner, c), b, c, 3 * inner);
        long[] partShape = [qkv[0], n, inner];
        var parts = g.Node(path, "Split", [qkv, g.Longs(path, "split", inner, inner, inner)], [partShape, partShape, partShape],
            Attr.Int("axis", 2));
        var q = g.Transpose(path, g.Reshape(path, parts[0], -1, n, heads, kd), 0, 2, 1, 3);
        var kT = g.Transpose(path, g.Reshape(path, parts[1], -1, n, heads, kd), 0, 2, 3, 1);
        var v = g.Transpose(path, g.Reshape(path, parts[2], -1, n, heads, kd), 0, 2, 1, 3);

        float[] bias;
        using (no_grad())
        using (var matrix = m.BiasMatrix()) bias = ExportContext.Floats(matrix);
        var scores = g.Add(path, g.MatMul(path, q, kT), g.Constant(path, "attention_bias", bias, heads, n, n));
        var probs = g.Node(path, "Softmax", [scores], scores.Shape, Attr.Int("axis", -1));
        var o = g.Transpose(path, g.MatMul(path, probs, v), 0, 2, 1, 3);
        return ctx.Child(m, path, m.Proj, g.Reshape(path, o, -1, n, inner));
    }

    /// <summary>Rows h*3kd + p*kd + j (timm) → p*heads*kd + h*kd + j, with the Q rows (p = 0) scaled.</summary>
    public static (float[] Weight, float[] Bias) RegroupQkv(float[] w, float[] b, long heads, long kd, long cols)
    {
        var nw = new float[w.Length];
        var nb = new float[b.Length];
        float scale = 1f / MathF.Sqrt(kd);
        for (long h = 0; h < heads; h++)
            for (long p = 0; p < 3; p++)
                for (long j = 0; j < kd; j++)
                {
                    long from = h * 3 * kd + p * kd + j, to = p * heads * kd + h * kd + j;
                    float s = p == 0 ? scale : 1f;
                    nb[to] = b[from] * s;
                    for (long col = 0; col < cols; col++) nw[to * cols + col] = w[from * cols + col] * s;
                }
        return (nw, nb);
    }
}
