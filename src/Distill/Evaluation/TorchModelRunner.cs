using Edge.Core;
using Edge.Core.Evaluation;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Distill.Models;
using Edge.Distill.Teachers;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Evaluation;

/// <summary>
/// A TorchSharp model (a distill run, or a weights file with its manifest) as a model the gate evaluates: the same
/// location syntax and preprocessing rules as a <c>torch:</c> teacher (<see cref="TorchTeacher"/>), run on the CPU in
/// eval mode, one call at a time.
/// </summary>
public sealed class TorchModelRunner : IModelRunner
{
    private readonly TorchTeacher _teacher;
    private readonly object _gate = new();

    private TorchModelRunner(TorchTeacher teacher, string name, string location)
    {
        _teacher = teacher;
        Name = name;
        Location = location;
        var card = teacher.Cards[0];
        Preprocess = card.Preprocess;
        Sha256 = card.Sha256;
    }

    /// <summary>Opens <c>RUN_FOLDER</c> or <c>FILE.weights?student=NAME</c> (the part after <c>torch:</c>).</summary>
    public static IModelRunner Open(ModelSource source) =>
        new TorchModelRunner(TorchTeacher.Open(source.Location, source.ManifestPath), source.Name ?? $"torch:{Path.GetFileName(source.Location.Split('?')[0].TrimEnd('/'))}", $"torch:{source.Location}");

    public string Name { get; }
    public string Location { get; }
    public string Kind => "torch";
    public string? Sha256 { get; }
    public string Precision => "fp32";
    public PreprocessSpec Preprocess { get; }
    public IReadOnlyList<string>? Labels => _teacher.Labels;
    public int NumClasses => _teacher.NumClasses;
    public OutputKind OutputKind => OutputKind.Logits;
    public int MaxBatch => 256;
    public IReadOnlyList<string> Notes => [];

    public void CheckInput(PreprocessSpec spec, string what)
    {
        var c = _teacher.Model.Config;
        if (c.InChannels != spec.Channels || c.ImageSize != spec.Height || c.ImageSize != spec.Width)
            throw new EdgeException($"{Name} takes [{c.InChannels}, {c.ImageSize}, {c.ImageSize}] but {what} produces [{spec.Channels}, {spec.Height}, {spec.Width}]");
    }

    public float[] Run(float[] input, int batch)
    {
        var c = _teacher.Model.Config;
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var x = tensor(input.AsSpan(0, batch * Preprocess.TensorLength).ToArray(), [batch, c.InChannels, c.ImageSize, c.ImageSize]);
            return _teacher.Model.call(x).detach().to(float32).contiguous().data<float>().ToArray();
        }
    }

    public void Dispose() => _teacher.Dispose();
}
