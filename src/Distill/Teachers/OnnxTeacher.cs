using Edge.Core;
using Edge.Core.Inference;
using Edge.Core.Preprocessing;

namespace Edge.Distill.Teachers;

/// <summary>
/// A black-box ONNX classifier run by ONNX Runtime (batched, zero-copy input). With <c>features</c> it is a
/// white-box teacher: the named intermediate tensors are exposed as extra graph outputs (see
/// <see cref="OnnxFeatureExposer"/>) and returned beside the logits.
/// </summary>
public sealed class OnnxTeacher : ITeacher
{
    private readonly OnnxClassifier _model;
    private readonly string? _tempModel;

    public OnnxTeacher(string path, int threads = 0, IReadOnlyList<string>? features = null)
    {
        if (!File.Exists(path))
            throw new EdgeException($"teacher not found: {path} — pass --teacher with an ONNX classifier (the default is models/fmnist-resnet18.onnx)");
        features ??= [];
        string load = path;
        if (features.Count > 0)
        {
            _tempModel = OnnxFeatureExposer.WriteWithOutputs(path, features);
            load = _tempModel;
        }
        try
        {
            _model = new OnnxClassifier(load, new OnnxRunOptions { IntraOpThreads = threads, ExtraOutputs = features });
        }
        catch
        {
            if (_tempModel is not null) Edge.Core.IO.AtomicFile.TryDelete(_tempModel);
            throw;
        }
        Path = path;
        FeatureNames = features;
    }

    public string Path { get; }
    public string Description => System.IO.Path.GetFileName(Path);
    public int NumClasses => _model.NumClasses;
    public IReadOnlyList<string> FeatureNames { get; }
    public long[] InputShape => _model.InputShape;

    public void CheckInput(PreprocessSpec spec, string what) => _model.CheckInput(spec.Channels, spec.Height, spec.Width, what);

    public TeacherOutputs Run(float[] input, int batch)
    {
        if (FeatureNames.Count == 0)
            return new TeacherOutputs(_model.Run(input, batch), batch, NumClasses);
        var all = _model.RunWithExtras(input, batch);
        var features = FeatureNames.ToDictionary(n => n, n =>
        {
            var data = all[n];
            return new TeacherFeature(data, [batch, data.Length / batch]);
        });
        return new TeacherOutputs(all[_model.OutputName], batch, NumClasses) { Features = features };
    }

    public void Dispose()
    {
        _model.Dispose();
        if (_tempModel is not null) Edge.Core.IO.AtomicFile.TryDelete(_tempModel);
    }
}
