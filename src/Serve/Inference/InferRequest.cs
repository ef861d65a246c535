using Edge.Serve.Tensors;

namespace Edge.Serve.Inference;

/// <summary>An output a request asks for; <see cref="ClassCount"/> &gt; 0 asks for Triton's classification of it instead of the tensor.</summary>
public sealed record RequestedOutput(string Name, int ClassCount = 0);

/// <summary>A v2 inference request, decoded from either protocol. The engine owns <see cref="Inputs"/> once called (and disposes them).</summary>
public sealed record InferRequest(string Model, string? Version, IReadOnlyList<HostTensor> Inputs, IReadOnlyList<RequestedOutput> Outputs);

/// <summary>What the model answered: the requested outputs (all of them when none were named), in model order.</summary>
public sealed class InferResult(string model, string version, IReadOnlyList<HostTensor> outputs) : IDisposable
{
    public string Model { get; } = model;
    public string Version { get; } = version;
    public IReadOnlyList<HostTensor> Outputs { get; } = outputs;

    public void Dispose()
    {
        foreach (var o in Outputs)
            o.Dispose();
    }
}

/// <summary>One class (index, label, probability) of a classification.</summary>
public sealed record LabelScore(int Index, string Label, float Probability);

public sealed record ClassifyResult(string Model, string Version, IReadOnlyList<LabelScore> Top);
