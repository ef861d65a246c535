namespace Edge.Core.Inference;

public enum InferenceDevice { Cpu, Cuda }

/// <summary>How ONNX Runtime runs a model. One session per model, shared by all threads.</summary>
public sealed record OnnxRunOptions
{
    /// <summary>Intra-op threads; 0 means one per logical CPU.</summary>
    public int IntraOpThreads { get; init; }
    public InferenceDevice Device { get; init; } = InferenceDevice.Cpu;
    /// <summary>Extra tensors to expose as outputs (white-box teachers, calibration).</summary>
    public IReadOnlyList<string> ExtraOutputs { get; init; } = [];
}
