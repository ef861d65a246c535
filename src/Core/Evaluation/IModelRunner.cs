using Edge.Core.Preprocessing;

namespace Edge.Core.Evaluation;

/// <summary>
/// Anything that turns a batch of preprocessed images into logits: an ONNX file run in-process, or a model behind
/// a KServe v2 server. The evaluator, the gate and the server's shadow mode all talk to models through this.
/// </summary>
public interface IModelRunner : IDisposable
{
    /// <summary>Short display name, unique within one evaluation.</summary>
    string Name { get; }

    /// <summary>Where the model lives: a file path or a server address.</summary>
    string Location { get; }

    /// <summary>"onnx" or "kserve".</summary>
    string Kind { get; }

    /// <summary>SHA-256 of the model file, when it is known (null for a remote model).</summary>
    string? Sha256 { get; }

    /// <summary>fp32, int8, fp16 as the manifest says; "unknown" without one.</summary>
    string Precision { get; }

    /// <summary>The preprocessing this model was trained/exported with: each model is evaluated with its own.</summary>
    PreprocessSpec Preprocess { get; }

    /// <summary>Class name of each output index; null when unknown (then the evaluation set's order is assumed).</summary>
    IReadOnlyList<string>? Labels { get; }

    int NumClasses { get; }

    /// <summary>What the model itself outputs (its manifest says); <see cref="Run"/> has already made it logits.</summary>
    Manifest.OutputKind OutputKind { get; }

    /// <summary>The largest batch one <see cref="Run"/> call may carry.</summary>
    int MaxBatch { get; }

    /// <summary>Notes about assumptions made when loading (missing manifest, fallback preprocessing).</summary>
    IReadOnlyList<string> Notes { get; }

    /// <summary>Throws <see cref="EdgeException"/> when tensors made by <paramref name="spec"/> do not fit the model.</summary>
    void CheckInput(PreprocessSpec spec, string what);

    /// <summary>Logits [batch, NumClasses] for <paramref name="batch"/> samples of <paramref name="input"/> [batch, C, H, W]:
    /// a probability output comes back as log p (<see cref="Manifest.OutputKinds.ToLogits(Manifest.OutputKind, float[])"/>),
    /// so every metric is the same whatever kind the model outputs. Thread-safe.</summary>
    float[] Run(float[] input, int batch);
}
