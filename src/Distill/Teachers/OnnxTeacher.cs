using Edge.Core;
using Edge.Core.Inference;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Distill.Data;

namespace Edge.Distill.Teachers;

/// <summary>
/// A black-box ONNX classifier run by ONNX Runtime (batched, zero-copy input), read from a model package: its
/// manifest gives the preprocessing it is fed, its output kind and its labels. With <c>features</c> it is a white-box
/// teacher: the named intermediate tensors are exposed as extra graph outputs (see <see cref="OnnxFeatureExposer"/>)
/// and returned beside the targets.
/// </summary>
public sealed class OnnxTeacher : ITeacher
{
    private readonly OnnxClassifier _model;
    private readonly string? _tempModel;
    private readonly TeacherCard _card;

    public OnnxTeacher(ModelPackage package, int threads = 0, IReadOnlyList<string>? features = null)
    {
        features ??= [];
        string load = package.ModelPath;
        if (features.Count > 0)
        {
            _tempModel = OnnxFeatureExposer.WriteWithOutputs(package.ModelPath, features);
            load = _tempModel;
        }
        try
        {
            _model = new OnnxClassifier(load, new OnnxRunOptions { IntraOpThreads = threads, ExtraOutputs = features });
            var m = package.Manifest;
            _model.CheckInput(m.Preprocess.Channels, m.Preprocess.Height, m.Preprocess.Width, $"its manifest's preprocessing ({package.ManifestPath}: {m.Preprocess})");
            if (m.Labels.Count != _model.NumClasses)
                throw new EdgeException($"{package.ManifestPath} lists {m.Labels.Count} labels but {package.ModelPath} outputs {_model.NumClasses} classes; fix the manifest's labels");
            _card = new TeacherCard(package.ModelPath, Path.GetFileName(package.ModelPath), FileHash.Sha256(package.ModelPath), m.Preprocess, m.Output.Kind, m.Labels);
        }
        catch
        {
            _model?.Dispose();
            if (_tempModel is not null) AtomicFile.TryDelete(_tempModel);
            throw;
        }
        FeatureNames = features;
    }

    public string Description => _card.Description;
    public int NumClasses => _model.NumClasses;
    public IReadOnlyList<string> Labels => _card.Labels;
    public IReadOnlyList<string> FeatureNames { get; }
    public IReadOnlyList<TeacherCard> Cards => [_card];

    public TeacherOutputs Run(ViewBatch views)
    {
        var input = views.View(_card.Preprocess);
        int batch = views.Count;
        if (FeatureNames.Count == 0)
            return new TeacherOutputs(TeacherTargets.FromOutputs(_card.OutputKind, _model.Run(input, batch), batch, NumClasses), batch, NumClasses);
        var all = _model.RunWithExtras(input, batch);
        var features = FeatureNames.ToDictionary(n => n, n =>
        {
            var data = all[n];
            return new TeacherFeature(data, [batch, data.Length / batch]);
        });
        return new TeacherOutputs(TeacherTargets.FromOutputs(_card.OutputKind, all[_model.OutputName], batch, NumClasses), batch, NumClasses) { Features = features };
    }

    public void Dispose()
    {
        _model.Dispose();
        if (_tempModel is not null) AtomicFile.TryDelete(_tempModel);
    }
}
