using Edge.Core;
using Edge.Core.Preprocessing;
using Edge.Distill.Models;
using Edge.Distill.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Teachers;

/// <summary>
/// A TorchSharp model as teacher: a finished Edge run (a student becomes the next student's teacher) or a weights
/// file of a registered architecture (see <see cref="SavedStudent"/>). It always runs in eval mode under no_grad.
/// White-box: each feature name is a module path (<c>stages.2</c>) read through a forward hook, or an attention
/// module's path with <c>:attn</c> for its attention probabilities (see <see cref="FeatureHooks"/>).
/// </summary>
public sealed class TorchTeacher : ITeacher
{
    private readonly StudentModel _model;
    private readonly FeatureHooks? _hooks;
    private readonly torch.Device _device;

    /// <summary>Takes ownership of <paramref name="model"/>.</summary>
    public TorchTeacher(StudentModel model, string description, IReadOnlyList<string>? features = null, torch.Device? device = null)
    {
        _model = model;
        _device = device ?? CPU;
        Description = description;
        FeatureNames = features ?? [];
        _model.to(_device);
        _model.eval();
        _hooks = FeatureNames.Count > 0 ? new FeatureHooks(_model, FeatureNames, "teacher") : null;
    }

    /// <summary>Opens <c>location[?student=NAME][&amp;config=PATH]</c>: a run folder or a weights file.</summary>
    public static TorchTeacher Open(string spec, IReadOnlyList<string>? features = null, torch.Device? device = null)
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
            return new TorchTeacher(model, $"torch:{Path.GetFileName(Path.GetFullPath(location).TrimEnd('/'))} ({model.RegistryName})", features, device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public string Description { get; }
    public int NumClasses => _model.Config.NumClasses;
    public IReadOnlyList<string> FeatureNames { get; }
    public StudentModel Model => _model;

    public void CheckInput(PreprocessSpec spec, string what)
    {
        var c = _model.Config;
        if (c.InChannels != spec.Channels || c.ImageSize != spec.Height || c.ImageSize != spec.Width)
            throw new EdgeException($"teacher {Description} takes [{c.InChannels}, {c.ImageSize}, {c.ImageSize}] but {what} produces [{spec.Channels}, {spec.Height}, {spec.Width}]");
    }

    public TeacherOutputs Run(float[] input, int batch)
    {
        var c = _model.Config;
        long len = (long)c.InChannels * c.ImageSize * c.ImageSize;
        if (input.Length < batch * len)
            throw new EdgeException($"teacher {Description}: {batch} images need {batch * len} floats, got {input.Length}");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = tensor(input.AsSpan(0, (int)(batch * len)).ToArray(), [batch, c.InChannels, c.ImageSize, c.ImageSize]).to(_device);
        var logits = _model.call(x);
        var result = new TeacherOutputs(ToArray(logits), batch, NumClasses);
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
