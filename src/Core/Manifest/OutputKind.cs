namespace Edge.Core.Manifest;

/// <summary>
/// What a classifier's output vector holds. Models exported with a trailing Softmax (Keras, many dynamo exports)
/// answer probabilities, some answer log-probabilities (LogSoftmax heads), most answer logits. Every consumer turns
/// the raw output into <see cref="OutputKinds.ToLogits"/> form once, at the boundary, so losses, the gate's metrics
/// and the server's probabilities are the same whichever kind a model declares.
/// </summary>
public enum OutputKind
{
    Logits,
    Probabilities,
    LogProbabilities,
}

public static class OutputKinds
{
    /// <summary>
    /// The floor under probabilities before the log: float32's smallest normal number. A probability output that
    /// underflowed to 0 becomes log(1.18e-38) = −87.3, far below any class that matters at any temperature.
    /// </summary>
    public const float ProbabilityFloor = 1.17549435e-38f;

    public static IReadOnlyList<string> Names => ["logits", "probabilities", "log-probabilities"];

    public static string Name(OutputKind kind) => kind switch
    {
        OutputKind.Logits => "logits",
        OutputKind.Probabilities => "probabilities",
        OutputKind.LogProbabilities => "log-probabilities",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static OutputKind Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "logits" => OutputKind.Logits,
        "probabilities" or "probs" or "softmax" => OutputKind.Probabilities,
        "log-probabilities" or "log_probabilities" or "log-probs" or "log-softmax" or "logsoftmax" => OutputKind.LogProbabilities,
        _ => throw new EdgeException($"unknown output kind '{text}': use one of {string.Join(", ", Names)}"),
    };

    /// <summary>
    /// Rewrites raw outputs in place into a vector whose softmax is the model's distribution: logits and
    /// log-probabilities stay as they are (softmax is invariant to a per-row shift, and log p = z − logsumexp z);
    /// probabilities become log max(p, floor). Temperature softmax, KL, ECE, top-k and arg-max then agree across kinds.
    /// </summary>
    public static void ToLogits(OutputKind kind, Span<float> values)
    {
        if (kind != OutputKind.Probabilities) return;
        foreach (ref float v in values) v = MathF.Log(MathF.Max(v, ProbabilityFloor));
    }

    /// <summary>Same as <see cref="ToLogits(OutputKind, Span{float})"/> on a copy, leaving <paramref name="values"/> untouched.</summary>
    public static float[] ToLogits(OutputKind kind, float[] values)
    {
        if (kind != OutputKind.Probabilities) return values;
        var copy = (float[])values.Clone();
        ToLogits(kind, copy.AsSpan());
        return copy;
    }

    /// <summary>One row's class probabilities, as the model means them: a probability output is returned as is (not
    /// renormalised), the others through a numerically stable softmax in double precision.</summary>
    public static void ToProbabilities(OutputKind kind, ReadOnlySpan<float> row, Span<double> destination)
    {
        if (kind == OutputKind.Probabilities)
        {
            for (int i = 0; i < row.Length; i++) destination[i] = row[i];
            return;
        }
        Metrics.Softmax.Probabilities(row, destination);
    }
}
