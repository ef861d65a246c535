namespace Edge.Core.Metrics;

/// <summary>
/// Exact McNemar test for paired 0/1 outcomes (reference vs candidate on the same samples). Only discordant pairs
/// matter: <see cref="OnlyReference"/> = reference right, candidate wrong; <see cref="OnlyCandidate"/> the
/// reverse. Under "no difference" each discordant pair is a fair coin, so p-values come from Binomial(b + c, ½),
/// summed exactly in log space (no chi-square approximation, valid for small counts).
/// </summary>
public sealed record McNemar(int OnlyReference, int OnlyCandidate, double PTwoSided, double PCandidateWorse)
{
    public int Discordant => OnlyReference + OnlyCandidate;

    public static McNemar Test(IReadOnlyList<byte> referenceCorrect, IReadOnlyList<byte> candidateCorrect)
    {
        if (referenceCorrect.Count != candidateCorrect.Count) throw new ArgumentException("paired vectors must have the same length");
        int b = 0, c = 0;
        for (int i = 0; i < referenceCorrect.Count; i++)
        {
            if (referenceCorrect[i] == 1 && candidateCorrect[i] == 0) b++;
            else if (referenceCorrect[i] == 0 && candidateCorrect[i] == 1) c++;
        }
        return FromCounts(b, c);
    }

    public static McNemar FromCounts(int onlyReference, int onlyCandidate)
    {
        int n = onlyReference + onlyCandidate;
        if (n == 0) return new McNemar(0, 0, 1, 1);
        double twoSided = Math.Min(1, 2 * BinomialCdf(Math.Min(onlyReference, onlyCandidate), n));
        // P(X ≥ b) = P(X ≤ n − b) by symmetry of Binomial(n, ½).
        double worse = BinomialCdf(n - onlyReference, n);
        return new McNemar(onlyReference, onlyCandidate, twoSided, Math.Min(1, worse));
    }

    /// <summary>P(X ≤ k) for X ~ Binomial(n, ½).</summary>
    public static double BinomialCdf(int k, int n)
    {
        if (k < 0) return 0;
        if (k >= n) return 1;
        double logHalfN = n * Math.Log(0.5);
        double logC = 0, max = double.NegativeInfinity;
        var terms = new double[k + 1];
        for (int i = 0; i <= k; i++)
        {
            if (i > 0) logC += Math.Log(n - i + 1) - Math.Log(i);
            terms[i] = logC + logHalfN;
            if (terms[i] > max) max = terms[i];
        }
        double sum = 0;
        foreach (double t in terms) sum += Math.Exp(t - max);
        return Math.Min(1, Math.Exp(max + Math.Log(sum)));
    }
}
