using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// TinyViT block on an NHWC map [B, H, W, C] (as current timm): window attention (zero-padded to a multiple
/// of the window) with residual, 3x3 depthwise Conv2dBN across windows, then the MLP with residual.
/// </summary>
public sealed class TinyVitBlock : nn.Module<Tensor, Tensor>
{
    private readonly Attention attn;
    private readonly Conv2dBN local_conv;
    private readonly Mlp mlp;
    private readonly DropPath drop_path1;
    private readonly DropPath drop_path2;

    public TinyVitBlock(int dim, int numHeads, int windowSize, double mlpRatio, double dropPath, int localConvSize)
        : base(nameof(TinyVitBlock))
    {
        WindowSize = windowSize;
        attn = new Attention(dim, dim / numHeads, numHeads, windowSize);
        local_conv = new Conv2dBN(dim, dim, localConvSize, 1, localConvSize / 2, groups: dim);
        mlp = new Mlp(dim, (int)(dim * mlpRatio));
        drop_path1 = new DropPath(dropPath);
        drop_path2 = new DropPath(dropPath);
        RegisterComponents();
    }

    public int WindowSize { get; }
    public Attention Attn => attn;
    public Conv2dBN LocalConv => local_conv;
    public Mlp Mlp => mlp;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], h = x.shape[1], w = x.shape[2], c = x.shape[3], l = h * w;
        int ws = WindowSize;
        Tensor a;
        if (h == ws && w == ws)
        {
            a = attn.call(x.reshape(b, l, c)).view(b, h, w, c);
        }
        else
        {
            long padB = (ws - h % ws) % ws, padR = (ws - w % ws) % ws;
            var xp = padB > 0 || padR > 0 ? nn.functional.pad(x, [0, 0, 0, padR, 0, padB]) : x;
            long ph = h + padB, pw = w + padR, nh = ph / ws, nw = pw / ws;
            var windows = xp.reshape(b, nh, ws, nw, ws, c).transpose(2, 3).reshape(b * nh * nw, ws * ws, c);
            a = attn.call(windows).view(b, nh, nw, ws, ws, c).transpose(2, 3).reshape(b, ph, pw, c);
            if (padB > 0 || padR > 0) a = a[.., ..(int)h, ..(int)w, ..];
        }
        x = x.add(drop_path1.call(a), Scalars.One);

        var conv = local_conv.call(x.permute(0, 3, 1, 2));
        var t = conv.reshape(b, c, l).transpose(1, 2);
        t = t.add(drop_path2.call(mlp.call(t)), Scalars.One);
        return t.reshape(b, h, w, c).MoveToOuterDisposeScope();
    }
}
