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
public sealed class FitNetLoss(IReadOnlyList<FeaturePair> pairs) : IDistillLoss
{
    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _projectors = [];

    public string Name => "fitnet";
    public bool NeedsTeacher => true;
    public IReadOnlyList<string> StudentFeatures => [.. pairs.Select(p => p.Student)];
    public IReadOnlyList<string> TeacherFeatures => [.. pairs.Select(p => p.Teacher)];
    public IEnumerable<Parameter> Parameters => _projectors.Values.SelectMany(p => p.parameters());

    public Tensor Compute(DistillOutputs student, DistillOutputs? teacher, Tensor labels)
    {
        var t = LossChecks.Teacher(teacher, Name);
        Tensor? total = null;
        foreach (var pair in FeatureMaps.Require(pairs, Name))
        {
            var s = student.Feature(pair.Student, "student");
            var f = t.Feature(pair.Teacher, "teacher");
            var projector = Projector(pair, s, f);
            Tensor mapped;
            if (s.dim() == 4 && f.dim() == 4)
                mapped = FeatureMaps.Resize(projector.call(s), f.shape[2], f.shape[3]);
            else
                mapped = projector.call(FeatureMaps.Flat(s));
            var loss = nn.functional.mse_loss(mapped, f.dim() == 4 && s.dim() == 4 ? f : FeatureMaps.Flat(f));
            total = total is null ? loss : total + loss;
        }
        return total! / pairs.Count;
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
