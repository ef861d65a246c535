using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models.Layers;

/// <summary>
/// Multi-head self-attention over one window of tokens [B', N, C], with LeViT-style learned biases: one
/// scalar per head per (|dy|, |dx|) offset between two positions of the window (<c>attention_biases</c>),
/// expanded to [heads, N, N] through the fixed index buffer <c>attention_bias_idxs</c>. The norm sits
/// inside the attention as in TinyViT. qkv's output is laid out per head as [q_h, k_h, v_h] (timm), which
/// the exporter reorders when it writes the graph.
/// </summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm;
    private readonly Linear qkv;
    private readonly Linear proj;
    private readonly Parameter attention_biases;
    private readonly Tensor attention_bias_idxs;
    private Tensor? biasIndexOnDevice;

    public Attention(int dim, int keyDim, int numHeads, int windowSize) : base(nameof(Attention))
    {
        NumHeads = numHeads;
        KeyDim = keyDim;
        WindowSize = windowSize;
        norm = nn.LayerNorm(dim);
        qkv = nn.Linear(dim, 3L * keyDim * numHeads); // attn_ratio = 1: value dim = key dim
        proj = nn.Linear((long)keyDim * numHeads, dim);
        TimmInit.Linear(qkv);
        TimmInit.Linear(proj);

        var (offsets, idxs) = BiasIndex(windowSize);
        attention_biases = new Parameter(zeros(numHeads, offsets));
        attention_bias_idxs = tensor(idxs, dtype: int64).view(windowSize * windowSize, windowSize * windowSize);
        // Not persistent, as in timm: the index is rebuilt from the window size and never saved.
        register_buffer(nameof(attention_bias_idxs), attention_bias_idxs, persistent: false);
        RegisterComponents();
    }

    public int NumHeads { get; }
    public int KeyDim { get; }
    public int WindowSize { get; }
    public LayerNorm Norm => norm;
    public Linear Qkv => qkv;
    public Linear Proj => proj;
    public Parameter AttentionBiases => attention_biases;

    /// <summary>The additive bias [heads, N, N] for the current biases.</summary>
    public Tensor BiasMatrix()
    {
        int n = WindowSize * WindowSize;
        return attention_biases.index_select(1, IndexOnBiasDevice().view(-1)).view(NumHeads, n, n);
    }

    /// <summary>
    /// The index on the biases' device. TorchSharp's <c>Module.to(cuda)</c> leaves this non-persistent buffer's field
    /// on the CPU (seen on an H100: "index is on cpu, different from other tensors on cuda:0" in index_select), so
    /// a copy on the parameters' device is made once per device and kept outside any dispose scope.
    /// </summary>
    private Tensor IndexOnBiasDevice()
    {
        var device = attention_biases.device;
        if (attention_bias_idxs.device_type == device.type && attention_bias_idxs.device_index == device.index) return attention_bias_idxs;
        if (biasIndexOnDevice is { } cached && cached.device_type == device.type && cached.device_index == device.index) return cached;
        biasIndexOnDevice?.Dispose();
        biasIndexOnDevice = attention_bias_idxs.to(device).DetachFromDisposeScope();
        return biasIndexOnDevice;
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1];
        var h = qkv.call(norm.call(x));
        var parts = h.view(b, n, NumHeads, 3 * KeyDim).split([KeyDim, KeyDim, KeyDim], dim: 3);
        var q = parts[0].permute(0, 2, 1, 3);
        var k = parts[1].permute(0, 2, 1, 3);
        var v = parts[2].permute(0, 2, 1, 3);
        // SDPA's default scale is key_dim^-0.5, as in TinyViT; the bias goes in as an additive mask so it gets gradients.
        var o = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: BiasMatrix());
        var merged = o.transpose(1, 2).reshape(b, n, (long)NumHeads * KeyDim);
        return proj.call(merged).MoveToOuterDisposeScope();
    }

    /// <summary>Offsets are unique (|dy|, |dx|) pairs in order of first appearance, as timm enumerates them.</summary>
    public static (int Count, long[] Index) BiasIndex(int windowSize)
    {
        var points = new List<(int Y, int X)>();
        for (int y = 0; y < windowSize; y++)
            for (int x = 0; x < windowSize; x++) points.Add((y, x));
        var offsets = new Dictionary<(int, int), int>();
        var idxs = new long[points.Count * points.Count];
        int k = 0;
        foreach (var p1 in points)
            foreach (var p2 in points)
            {
                var off = (Math.Abs(p1.Y - p2.Y), Math.Abs(p1.X - p2.X));
                if (!offsets.TryGetValue(off, out int id)) offsets[off] = id = offsets.Count;
                idxs[k++] = id;
            }
        return (offsets.Count, idxs);
    }
}
