namespace Edge.Core.Metrics;

/// <summary>One confidence bin of a reliability diagram.</summary>
public sealed record ReliabilityBin(double Lower, double Upper, int Count, double MeanConfidence, double Accuracy);

/// <summary>Expected calibration error with equal-width confidence bins (Guo et al. 2017; 15 bins by default).</summary>
public sealed record CalibrationResult(double Ece, IReadOnlyList<ReliabilityBin> Bins)
{
    public static CalibrationResult Compute(IReadOnlyList<double> confidence, IReadOnlyList<byte> correct, int bins = 15)
    {
        if (confidence.Count != correct.Count) throw new ArgumentException("one correctness flag per confidence");
        var count = new int[bins];
        var sumConf = new double[bins];
        var sumCorrect = new double[bins];
        for (int i = 0; i < confidence.Count; i++)
        {
            // Bins are (lo, hi]; a confidence of exactly 0 goes to the first bin.
            int b = Math.Clamp((int)Math.Ceiling(confidence[i] * bins) - 1, 0, bins - 1);
            count[b]++;
            sumConf[b] += confidence[i];
            sumCorrect[b] += correct[i];
        }
        int n = confidence.Count;
        double ece = 0;
        var result = new ReliabilityBin[bins];
        for (int b = 0; b < bins; b++)
        {
            double conf = count[b] > 0 ? sumConf[b] / count[b] : 0;
            double acc = count[b] > 0 ? sumCorrect[b] / count[b] : 0;
            if (n > 0) ece += (double)count[b] / n * Math.Abs(acc - conf);
            result[b] = new ReliabilityBin((double)b / bins, (double)(b + 1) / bins, count[b], conf, acc);
        }
        return new CalibrationResult(ece, result);
    }
}
