using Edge.Core.Inference;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;

namespace Edge.Core.Evaluation;

/// <summary>An ONNX file (fp32, int8 or fp16 with float32 I/O) run in-process by ONNX Runtime.</summary>
public sealed class OnnxModelRunner : IModelRunner
{
    private readonly OnnxClassifier _classifier;
    private readonly List<string> _notes = [];

    /// <param name="fallbackPreprocess">Used when the file has no manifest (and one is noted in <see cref="Notes"/>).</param>
    public OnnxModelRunner(ModelSource source, PreprocessSpec? fallbackPreprocess, OnnxRunOptions options)
    {
        Name = source.DisplayName();
        ModelPackage? package = source.ManifestPath is { } manifestPath
            ? ModelPackage.Load(source.Location, manifestPath)
            : ModelPackage.TryLoad(source.Location);
        string modelPath = package?.ModelPath ?? Path.GetFullPath(source.Location);
        if (package is null && Directory.Exists(modelPath))
            throw new EdgeException($"{modelPath} is a folder without {ModelPackage.ManifestFileName}: pass a model package or an .onnx file");
        Location = modelPath;
        _classifier = new OnnxClassifier(modelPath, options);
        if (package is not null)
        {
            Preprocess = package.Manifest.Preprocess;
            Labels = package.Manifest.Labels;
            Precision = package.Manifest.Precision;
            OutputKind = package.Manifest.Output.Kind;
            if (Labels.Count != _classifier.NumClasses)
                throw new EdgeException($"{package.ManifestPath} lists {Labels.Count} labels but {modelPath} outputs {_classifier.NumClasses} classes");
        }
        else
        {
            Preprocess = fallbackPreprocess
                ?? throw new EdgeException($"{modelPath} has no manifest ({ModelPackage.SidecarOf(modelPath)}): Edge needs one for its preprocessing and labels");
            Labels = null;
            Precision = "unknown";
            _notes.Add($"no manifest: evaluated with the teacher's preprocessing ({Preprocess}) and the evaluation set's class order");
        }
        Sha256 = FileHash.Sha256(modelPath);
        if (package?.Manifest.ModelSha256 is { } recorded && !recorded.Equals(Sha256, StringComparison.OrdinalIgnoreCase))
            _notes.Add($"manifest records model_sha256 {recorded[..12]}… but the file hashes to {Sha256[..12]}…");
        if (_classifier.FallbackNote is { } fallback) _notes.Add(fallback);
    }

    public string Name { get; }
    public string Location { get; }
    public string Kind => "onnx";
    public string? Sha256 { get; }
    public string Precision { get; }
    public PreprocessSpec Preprocess { get; }
    public IReadOnlyList<string>? Labels { get; }
    public int NumClasses => _classifier.NumClasses;
    public OutputKind OutputKind { get; }
    public int MaxBatch => 1024;
    public IReadOnlyList<string> Notes => _notes;

    public void CheckInput(PreprocessSpec spec, string what) => _classifier.CheckInput(spec.Channels, spec.Height, spec.Width, what);

    public float[] Run(float[] input, int batch)
    {
        var output = _classifier.Run(input, batch);
        OutputKinds.ToLogits(OutputKind, output.AsSpan());
        return output;
    }

    public void Dispose() => _classifier.Dispose();
}
