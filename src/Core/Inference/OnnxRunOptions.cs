namespace Edge.Core.Inference;

public enum InferenceDevice { Cpu, Cuda }

/// <summary>How ONNX Runtime runs a model. One session per model, shared by all threads.</summary>
public sealed record OnnxRunOptions
{
    /// <summary>Intra-op threads; 0 means one per logical CPU.</summary>
    public int IntraOpThreads { get; init; }
    public InferenceDevice Device { get; init; } = InferenceDevice.Cpu;
    /// <summary>
    /// Whether idle intra-op threads spin-wait for the next parallel section (ONNX Runtime's default). Spinning helps
    /// a process that only runs the model; a server sharing its cores with request handling loses those cycles.
    /// </summary>
    public bool AllowSpinning { get; init; } = true;
    /// <summary>Extra tensors to expose as outputs (white-box teachers, calibration).</summary>
    public IReadOnlyList<string> ExtraOutputs { get; init; } = [];
}
