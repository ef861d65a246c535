using Edge.Core.Manifest;

namespace Edge.Core.Import;

/// <summary>
/// Tells what a classifier's outputs hold from the outputs themselves, when the graph does not end in a
/// Softmax/LogSoftmax (a softmax fused into another op, a custom head): every row non-negative and summing to 1 is
/// probabilities; every row non-positive with log-sum-exp 0 is log-probabilities; anything else is logits.
/// </summary>
public static class OutputKindProbe
{
    public const double Tolerance = 1e-3;

    public static OutputKind Classify(float[] outputs, int rows, int classes, out string evidence)
    {
        bool probs = true, logProbs = true;
        double worstSum = 0, worstLse = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = outputs.AsSpan(r * classes, classes);
            double sum = 0, max = double.NegativeInfinity;
            foreach (float v in row)
            {
                if (!float.IsFinite(v)) { probs = false; if (!float.IsNegativeInfinity(v)) logProbs = false; continue; }
                if (v < 0) probs = false;
                if (v > 1e-6) logProbs = false;
                sum += v;
                max = Math.Max(max, v);
            }
            double lse = 0;
            foreach (float v in row) lse += Math.Exp(v - max);
            lse = max + Math.Log(lse);
            worstSum = Math.Max(worstSum, Math.Abs(sum - 1));
            worstLse = Math.Max(worstLse, Math.Abs(lse));
        }
        probs &= worstSum <= Tolerance;
        logProbs &= worstLse <= Tolerance;
        if (probs)
        {
            evidence = $"probed: {rows} rows are non-negative and sum to 1 (within {worstSum:0.0e0})";
            return OutputKind.Probabilities;
        }
        if (logProbs)
        {
            evidence = $"probed: {rows} rows are non-positive with log-sum-exp 0 (within {worstLse:0.0e0})";
            return OutputKind.LogProbabilities;
        }
        evidence = $"probed: {rows} rows are neither probabilities nor log-probabilities (|Σ−1| up to {worstSum:0.###}, |logsumexp| up to {worstLse:0.###})";
        return OutputKind.Logits;
    }
}
