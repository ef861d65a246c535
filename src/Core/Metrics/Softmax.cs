namespace Edge.Core.Metrics;

/// <summary>Numerically stable (log-)softmax over one row of logits, in double precision.</summary>
public static class Softmax
{
    public static void LogProbabilities(ReadOnlySpan<float> logits, Span<double> destination)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits) if (v > max) max = v;
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += Math.Exp(logits[i] - max);
        double logSum = max + Math.Log(sum);
        for (int i = 0; i < logits.Length; i++) destination[i] = logits[i] - logSum;
    }

    public static void Probabilities(ReadOnlySpan<float> logits, Span<double> destination)
    {
        LogProbabilities(logits, destination);
        for (int i = 0; i < destination.Length; i++) destination[i] = Math.Exp(destination[i]);
    }
}
