using Edge.Distill.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models;

/// <summary>
/// TinyViT (Wu et al., ECCV 2022) as in timm's <c>tiny_vit.py</c>: field names equal timm's state_dict keys
/// (<c>patch_embed.conv1.conv.weight</c>, <c>stages.1.blocks.0.attn.attention_biases</c>,
/// <c>head.norm.weight</c>, ...), so converted timm weights load by name.
/// </summary>
public sealed class TinyVit : StudentModel
{
    private readonly PatchEmbed patch_embed;
    private readonly Sequential stages;
    private readonly ClassifierHead head;

    public TinyVit(TinyVitConfig config, string registryName = "tinyvit") : base(nameof(TinyVit), registryName, config.Validate())
    {
        var c = config;
        patch_embed = new PatchEmbed(c.InChannels, c.EmbedDims[0], c.StemStride);

        // Stochastic depth grows linearly from 0 to DropPathRate over all blocks of all stages.
        int total = c.Depths.Sum();
        var dpr = Enumerable.Range(0, total).Select(i => total == 1 ? 0 : c.DropPathRate * i / (total - 1)).ToArray();

        var list = new List<nn.Module<Tensor, Tensor>>();
        int start = 0;
        for (int s = 0; s < c.Depths.Length; s++)
        {
            var rates = dpr[start..(start + c.Depths[s])];
            start += c.Depths[s];
            list.Add(s == 0
                ? new ConvLayer(c.EmbedDims[0], c.Depths[0], c.MbconvExpandRatio, rates)
                : new TinyVitStage(c.EmbedDims[s - 1], c.EmbedDims[s], c.Depths[s], c.NumHeads[s], c.WindowSizes[s],
                    c.MlpRatio, rates, c.LocalConvSize));
        }
        stages = nn.Sequential(list);
        head = new ClassifierHead(c.EmbedDims[^1], c.NumClasses);
        FeatureTaps = [.. c.StageResolutions().Select((side, i) => new FeatureTap($"stages.{i}", c.EmbedDims[i], (c.ImageSize + side - 1) / side))];
        RegisterComponents();
    }

    /// <summary>Stage outputs <c>stages.0</c>..<c>stages.3</c>, NCHW. Attention probabilities: see FeatureHooks' <c>:attn</c>.</summary>
    public override IReadOnlyList<FeatureTap> FeatureTaps { get; }

    /// <summary>timm's TinyViT group_matcher: the patch embedding, then every block of every stage in order (a stage's
    /// patch merging joins its first block), then the head.</summary>
    protected override (int Major, int Minor) DepthKey(string name) => name.Split('.') switch
    {
        ["patch_embed", ..] => (-1, -1),
        ["stages", var s, "blocks", var b, ..] => (int.Parse(s), int.Parse(b)),
        ["stages", var s, "downsample", ..] => (int.Parse(s), 0),
        _ => HeadDepth,
    };

    public PatchEmbed PatchEmbed => patch_embed;
    public Sequential Stages => stages;
    public ClassifierHead Head => head;

    /// <summary>Feature map [N, C_last, h, w] before the head (for feature distillation).</summary>
    public Tensor ForwardFeatures(Tensor x)
    {
        using var embedded = patch_embed.call(x);
        return stages.call(embedded);
    }

    public override Tensor forward(Tensor x)
    {
        using var features = ForwardFeatures(x);
        return head.call(features);
    }
}
