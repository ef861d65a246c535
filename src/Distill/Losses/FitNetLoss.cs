using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// FitNets (Romero et al., 2015): MSE between the teacher's feature map and the student's, mapped to the teacher's
/// channels by a learned 1x1 convolution (a linear layer for [N, D] features). The projector is built on the first
/// call, when the channel counts are known; the trainer runs one forward before creating the optimizer so its
/// parameters are trained.
/// </summary>
public sealed class FitNetLoss(IReadOnlyList<FeaturePair> pairs) : FeaturePairLoss(pairs), IDistillLoss
{
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _projectors = [];

    public override string Name => "fitnet";
    // Re-listing IDistillLoss above maps this onto the interface member (a base class implementing the interface would not).
    public IEnumerable<Parameter> Parameters => _projectors.Values.SelectMany(p => p.parameters());

    protected override Tensor PairLoss(FeaturePair pair, Tensor s, Tensor f)
    {
        var projector = Projector(pair, s, f);
        bool maps = s.dim() == 4 && f.dim() == 4;
        var mapped = maps ? FeatureMaps.Resize(projector.call(s), f.shape[2], f.shape[3]) : projector.call(FeatureMaps.Flat(s));
        return nn.functional.mse_loss(mapped, maps ? f : FeatureMaps.Flat(f));
    }

    private nn.Module<Tensor, Tensor> Projector(FeaturePair pair, Tensor s, Tensor f)
    {
        if (_projectors.TryGetValue(pair.Student, out var p)) return p;
        nn.Module<Tensor, Tensor> created = s.dim() == 4 && f.dim() == 4
            ? nn.Conv2d(s.shape[1], f.shape[1], 1, bias: false)
            : nn.Linear(FeatureMaps.Flat(s).shape[1], FeatureMaps.Flat(f).shape[1], hasBias: false);
        created.to(s.device);
        _projectors[pair.Student] = created;
        return created;
    }
}
