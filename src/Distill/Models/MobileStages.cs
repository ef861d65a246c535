using Edge.Distill.Models.Layers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models;

/// <summary>How a family sizes and builds squeeze-excitation: its gate, its activation (null: the block's), and the
/// reduced channel count from the channels it sees (the expanded ones) and the row.</summary>
public sealed record SePolicy(string Gate, string? Activation, Func<int, MobileBlockSpec, int> ReducedChannels);

/// <summary>The <c>blocks</c> of a mobile CNN and what they produce.</summary>
public sealed record MobileStagesResult(Sequential Blocks, int OutChannels, IReadOnlyList<FeatureTap> Taps);

/// <summary>
/// Builds the stage table of EfficientNet and MobileNetV3 the way timm's <c>EfficientNetBuilder</c> does: stage s is
/// <c>blocks.s</c>, block b of it <c>blocks.s.b</c>; each row's first block takes its stride, the others stride 1;
/// inverted residuals expand to make_divisible(in × expand) channels; drop path grows linearly with the block index
/// from 0 (timm: rate × index / count).
/// </summary>
public static class MobileStages
{
    /// <param name="stages">Rows per stage, channels and repeats already scaled by the family's multipliers.</param>
    /// <param name="stemReduction">Stride of the stem, for the taps' reductions.</param>
    public static MobileStagesResult Build(int inChannels, IReadOnlyList<IReadOnlyList<MobileBlockSpec>> stages, string activation,
        SePolicy se, double dropPathRate, int stemReduction)
    {
        int total = stages.Sum(s => s.Sum(r => r.Repeats));
        int index = 0, channels = inChannels, reduction = stemReduction;
        var stageModules = new List<(string, nn.Module<Tensor, Tensor>)>();
        var taps = new List<FeatureTap>();
        for (int s = 0; s < stages.Count; s++)
        {
            var blocks = new List<(string, nn.Module<Tensor, Tensor>)>();
            foreach (var row in stages[s])
                for (int r = 0; r < row.Repeats; r++)
                {
                    int stride = r == 0 ? row.Stride : 1;
                    double dropPath = dropPathRate * index++ / total;
                    blocks.Add((blocks.Count.ToString(), Block(row, channels, stride, row.Activation ?? activation, se, dropPath)));
                    channels = row.Channels;
                    reduction *= stride;
                }
            stageModules.Add((s.ToString(), nn.Sequential(blocks)));
            taps.Add(new FeatureTap($"blocks.{s}", channels, reduction));
        }
        return new MobileStagesResult(nn.Sequential(stageModules), channels, taps);
    }

    private static nn.Module<Tensor, Tensor> Block(MobileBlockSpec row, int inChannels, int stride, string activation, SePolicy se, double dropPath)
    {
        SqueezeExcite? Se(int channels) => row.SeRatio > 0
            ? new SqueezeExcite(channels, se.ReducedChannels(channels, row), se.Activation ?? activation, se.Gate)
            : null;
        switch (row.Kind)
        {
            case MobileBlockKind.Ds:
                return new DepthwiseSeparable(inChannels, row.Channels, row.Kernel, stride, activation, Se(inChannels), row.NoSkip, dropPath);
            case MobileBlockKind.Ir:
                int mid = MakeDivisible(inChannels * row.Expand);
                return new InvertedResidual(inChannels, mid, row.Channels, row.Kernel, stride, activation, Se(mid), row.NoSkip, dropPath);
            default:
                return new ConvBnAct(inChannels, row.Channels, row.Kernel, stride, activation, row.NoSkip, dropPath);
        }
    }

    /// <summary>timm's <c>make_divisible</c>: nearest multiple of <paramref name="divisor"/>, at least
    /// <paramref name="min"/> (default the divisor), and never below <paramref name="roundLimit"/> of the value.</summary>
    public static int MakeDivisible(double value, int divisor = 8, int? min = null, double roundLimit = 0.9)
    {
        int floor = min ?? divisor;
        int v = Math.Max(floor, (int)(value + divisor / 2.0) / divisor * divisor);
        return v < roundLimit * value ? v + divisor : v;
    }

    /// <summary>The side of a map after each stride-2 layer of <paramref name="strides"/>, from <paramref name="size"/>
    /// (padding k / 2, so ceil(side / 2)).</summary>
    public static IEnumerable<int> Sides(int size, IEnumerable<int> strides)
    {
        int side = size;
        foreach (int s in strides)
        {
            side = (side + s - 1) / s;
            yield return side;
        }
    }
}
