using Edge.Core;
using Edge.Core.Manifest;
using Edge.Distill.Data;
using Edge.Distill.Models;
using Edge.Distill.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Teachers;

/// <summary>
/// A TorchSharp model as teacher: a finished Edge run (a student becomes the next student's teacher; its run record
/// gives the preprocessing it was trained with and its labels) or a weights file of a registered architecture (see
/// <see cref="SavedStudent"/>) with a manifest for those. It always runs in eval mode under no_grad.
/// White-box: each feature name is a module path (<c>stages.2</c>) read through a forward hook, or an attention
/// module's path with <c>:attn</c> for its attention probabilities (see <see cref="FeatureHooks"/>).
/// </summary>
public sealed class TorchTeacher : ITeacher
{
    private readonly StudentModel _model;
    private readonly FeatureHooks? _hooks;
    private readonly torch.Device _device;
    private readonly TeacherCard _card;

    /// <summary>Takes ownership of <paramref name="model"/>.</summary>
    public TorchTeacher(StudentModel model, TeacherCard card, IReadOnlyList<string>? features = null, torch.Device? device = null)
    {
        _model = model;
        _device = device ?? CPU;
        _card = card;
        Description = card.Description;
        var c = model.Config;
        var spec = card.Preprocess;
        if (c.InChannels != spec.Channels || c.ImageSize != spec.Height || c.ImageSize != spec.Width)
            throw new EdgeException($"teacher {card.Description} takes [{c.InChannels}, {c.ImageSize}, {c.ImageSize}] but its preprocessing ({spec}) produces [{spec.Channels}, {spec.Height}, {spec.Width}]");
        if (card.Labels.Count != c.NumClasses)
            throw new EdgeException($"teacher {card.Description} predicts {c.NumClasses} classes but {card.Labels.Count} labels were given for it");
        FeatureNames = features ?? [];
        _model.to(_device);
        _model.eval();
        _hooks = FeatureNames.Count > 0 ? new FeatureHooks(_model, FeatureNames, "teacher") : null;
    }

    /// <summary>Opens <c>location[?student=NAME][&amp;config=PATH]</c>: a run folder or a weights file; its preprocessing
    /// and labels from <paramref name="manifestPath"/>, else the run's record.</summary>
    public static TorchTeacher Open(string spec, string? manifestPath, IReadOnlyList<string>? features = null, torch.Device? device = null)
    {
        var (location, query) = SplitQuery(spec);
        string? student = null, config = null;
        foreach (var (key, value) in query)
        {
            switch (key)
            {
                case "student": student = value; break;
                case "config": config = value; break;
                default: throw new EdgeException($"unknown option '{key}' in torch teacher '{spec}': use torch:PATH[?student=NAME][&config=FILE]");
            }
        }
        var model = SavedStudent.Load(location, student, config);
        try
        {
            string description = $"torch:{Path.GetFileName(Path.GetFullPath(location).TrimEnd('/'))} ({model.RegistryName})";
            string weights = SavedStudent.WeightsPath(location);
            TeacherCard card;
            if (manifestPath is not null)
            {
                var m = ManifestFile.Read(manifestPath).Manifest;
                card = new TeacherCard($"torch:{Path.GetFullPath(location)}", description, Edge.Core.IO.FileHash.Sha256(weights), m.Preprocess, OutputKind.Logits, m.Labels);
            }
            else
            {
                string folder = Directory.Exists(location) ? location : Path.GetDirectoryName(Path.GetFullPath(location))!;
                if (!File.Exists(DistillRecord.PathIn(folder)))
                    throw new EdgeException($"teacher torch:{location}: no {DistillRecord.FileName} beside the weights to say its preprocessing and labels; add ,manifest=PATH");
                var record = DistillRecord.Read(folder);
                card = new TeacherCard($"torch:{Path.GetFullPath(location)}", description, Edge.Core.IO.FileHash.Sha256(weights), record.Student.Preprocess, OutputKind.Logits, record.Labels);
            }
            return new TorchTeacher(model, card, features, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public string Description { get; }
    public int NumClasses => _model.Config.NumClasses;
    public IReadOnlyList<string> Labels => _card.Labels;
    public IReadOnlyList<string> FeatureNames { get; }
    public IReadOnlyList<TeacherCard> Cards => [_card];
    public StudentModel Model => _model;

    public TeacherOutputs Run(ViewBatch views)
    {
        var c = _model.Config;
        var input = views.View(_card.Preprocess);
        int batch = views.Count;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = tensor(input, [batch, c.InChannels, c.ImageSize, c.ImageSize]).to(_device);
        var logits = _model.call(x);
        var result = new TeacherOutputs(TeacherTargets.FromOutputs(OutputKind.Logits, ToArray(logits), batch, NumClasses), batch, NumClasses);
        if (_hooks is null) return result;
        var captured = _hooks.Take();
        return result with { Features = FeatureNames.ToDictionary(n => n, n => new TeacherFeature(ToArray(captured[n]), captured[n].shape)) };
    }

    public void Dispose()
    {
        _hooks?.Dispose();
        _model.Dispose();
    }

    private static float[] ToArray(Tensor t) => t.detach().to(float32).cpu().contiguous().data<float>().ToArray();

    internal static (string Location, IReadOnlyList<(string Key, string Value)> Query) SplitQuery(string spec)
    {
        int q = spec.IndexOf('?');
        if (q < 0) return (spec, []);
        var pairs = spec[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p =>
        {
            int eq = p.IndexOf('=');
            return eq < 0 ? (p, "") : (p[..eq], Uri.UnescapeDataString(p[(eq + 1)..]));
        }).ToArray();
        return (spec[..q], pairs);
    }
}
