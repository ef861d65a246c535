using Edge.Distill.Models.Layers;
using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Exporters;

/// <summary>
/// TinyViT block on NHWC [B, H, W, C], worked as tokens [B, L, C]. When the window covers the whole map
/// (the common case for small inputs) attention runs on the tokens directly; otherwise the map is zero-padded
/// to a multiple of the window, partitioned, attended and reversed. The depthwise local conv is the one
/// place needing NCHW.
/// </summary>
public sealed class TinyVitBlockExporter : ModuleExporter<TinyVitBlock>
{
    protected override OnnxValue Export(ExportContext ctx, TinyVitBlock m, string path, OnnxValue input)
    {
        var g = ctx.Graph;
        long h = input[1], w = input[2], c = input[3], l = h * w, ws = m.WindowSize;
        var tokens = g.Reshape(path, input, -1, l, c);

        var attended = h == ws && w == ws
            ? ctx.Child(m, path, m.Attn, tokens)
            : g.Reshape(path, WindowedAttention(ctx, m, path, input, ws), -1, l, c);
        var x = g.Add(path, tokens, attended);

        var map = g.Reshape(path, g.Transpose(path, x, 0, 2, 1), -1, c, h, w);
        var conv = ctx.Child(m, path, m.LocalConv, map);
        x = g.Transpose(path, g.Reshape(path, conv, -1, c, l), 0, 2, 1);

        x = g.Add(path, x, ctx.Child(m, path, m.Mlp, x));
        return g.Reshape(path, x, -1, h, w, c);
    }

    private static OnnxValue WindowedAttention(ExportContext ctx, TinyVitBlock m, string path, OnnxValue map, long ws)
    {
        var g = ctx.Graph;
        long h = map[1], w = map[2], c = map[3];
        long padB = (ws - h % ws) % ws, padR = (ws - w % ws) % ws, ph = h + padB, pw = w + padR, nh = ph / ws, nw = pw / ws;
        var x = map;
        if (padB > 0 || padR > 0)
            x = g.Node(path, "Pad", [x, g.Longs(path, "pads", 0, 0, 0, 0, 0, padB, padR, 0)], [map[0], ph, pw, c]);

        x = g.Reshape(path, x, -1, nh, ws, nw, ws, c);
        x = g.Transpose(path, x, 0, 1, 3, 2, 4, 5);
        x = g.Reshape(path, x, -1, ws * ws, c);
        x = ctx.Child(m, path, m.Attn, x);
        x = g.Reshape(path, x, -1, nh, nw, ws, ws, c);
        x = g.Transpose(path, x, 0, 1, 3, 2, 4, 5);
        x = g.Reshape(path, x, -1, ph, pw, c);

        if (padB > 0 || padR > 0)
            x = g.Node(path, "Slice", [x, g.Longs(path, "starts", 0, 0), g.Longs(path, "ends", h, w), g.Longs(path, "axes", 1, 2)],
                [map[0], h, w, c]);
        return x;
    }
}
