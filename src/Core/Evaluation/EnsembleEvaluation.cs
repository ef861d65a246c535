using Edge.Core.Metrics;

namespace Edge.Core.Evaluation;

/// <summary>
/// Several teachers' evaluations as one reference: per sample the mean of their class probabilities (in the evaluation
/// set's class order, where the evaluator has already put every model by label), kept as log-probabilities so every
/// metric reads it like logits. Latency is the members' sum (they run one after the other), throughput the harmonic sum.
/// </summary>
public static class EnsembleEvaluation
{
    public static ModelEvaluation Combine(IReadOnlyList<ModelEvaluation> members)
    {
        if (members.Count == 0) throw new ArgumentException("an ensemble needs members");
        int n = members[0].Predictions.Count, k = members[0].Predictions.Classes;
        var mean = new double[n * k];
        var p = new double[k];
        foreach (var m in members)
            for (int i = 0; i < n; i++)
            {
                Softmax.Probabilities(m.Predictions.Row(i), p);
                for (int c = 0; c < k; c++) mean[i * k + c] += p[c] / members.Count;
            }
        var logits = new float[n * k];
        for (int i = 0; i < logits.Length; i++) logits[i] = (float)Math.Log(Math.Max(mean[i], 1e-30));
        string name = "ensemble(" + string.Join(" + ", members.Select(m => m.Name)) + ")";
        string sha = IO.FileHash.Sha256(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", members.Select(m => m.Sha256 ?? m.Location))));
        var l = members.Select(m => m.Latency).ToArray();
        var latency = new LatencyStats(l.Min(x => x.Samples), l.Sum(x => x.MeanMs), l.Sum(x => x.P50Ms), l.Sum(x => x.P95Ms), l.Sum(x => x.MaxMs));
        double ips = members.All(m => m.ImagesPerSecond > 0) ? 1 / members.Sum(m => 1 / m.ImagesPerSecond) : double.NaN;
        return new ModelEvaluation(name, "ensemble", string.Join(" + ", members.Select(m => m.Location)), sha, members[0].Precision, members[0].Preprocess,
            new Predictions(logits, n, k), latency, ips, [.. members.SelectMany(m => m.Notes), $"reference = mean probability of {members.Count} teachers"]);
    }
}
