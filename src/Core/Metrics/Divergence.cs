namespace Edge.Core.Metrics;

public static class Divergence
{
    /// <summary>
    /// Mean over samples of KL(reference ‖ candidate) = Σ p_ref (log p_ref − log p_cand), in nats, computed from
    /// logits with log-softmax (no probability underflow).
    /// </summary>
    public static double MeanKl(Predictions reference, Predictions candidate)
    {
        if (reference.Count != candidate.Count || reference.Classes != candidate.Classes)
            throw new ArgumentException("KL needs predictions over the same samples and classes");
        int k = reference.Classes;
        var lp = new double[k];
        var lq = new double[k];
        double total = 0;
        for (int i = 0; i < reference.Count; i++)
        {
            Softmax.LogProbabilities(reference.Row(i), lp);
            Softmax.LogProbabilities(candidate.Row(i), lq);
            double kl = 0;
            for (int c = 0; c < k; c++) kl += Math.Exp(lp[c]) * (lp[c] - lq[c]);
            total += Math.Max(0, kl);
        }
        return reference.Count == 0 ? 0 : total / reference.Count;
    }
}
