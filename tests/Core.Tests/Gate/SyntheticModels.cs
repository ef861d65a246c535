using Edge.Core.Evaluation;
using Edge.Core.Gate;
using Edge.Core.Metrics;
using Edge.Core.Preprocessing;

namespace Edge.Core.Tests.Gate;

/// <summary>Models that exist only as predictions, for testing the statistics and rules without running anything.</summary>
internal static class SyntheticModels
{
    public const int Classes = 10;

    public static int[] Labels(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => random.Next(Classes)).ToArray();
    }

    /// <summary>Predictions equal to <paramref name="reference"/> except a seeded share changed to another class.</summary>
    public static int[] Corrupt(int[] reference, double share, int seed)
    {
        var random = new Random(seed);
        return reference.Select(r => random.NextDouble() < share ? (r + 1 + random.Next(Classes - 1)) % Classes : r).ToArray();
    }

    public static ModelEvaluation Model(string name, int[] predictions, int[]? subset = null, string? sha = null)
    {
        var rows = subset is null ? predictions : subset.Select(i => predictions[i]).ToArray();
        var logits = new float[rows.Length * Classes];
        for (int i = 0; i < rows.Length; i++)
        {
            for (int c = 0; c < Classes; c++) logits[i * Classes + c] = ((i * 31 + c * 17) % 7) * 0.1f;
            logits[i * Classes + rows[i]] = 4;
        }
        return new ModelEvaluation(name, "onnx", name + ".onnx", sha ?? name, "fp32", PreprocessSpec.FashionMnist32,
            new Predictions(logits, rows.Length, Classes), new LatencyStats(10, 1, 1, 1.2, 1.5), 1000, []);
    }

    public static GateInputs Inputs(int[] labels, ModelEvaluation teacher, ModelEvaluation[] candidates, int[]? subset = null, BaselineReference? baseline = null, int baseCount = 0)
    {
        int n = subset?.Length ?? labels.Length;
        int[] baseIndices = subset ?? Enumerable.Range(0, n).ToArray();
        int[] rows = baseIndices.Select(i => labels[i]).ToArray();
        baseCount = baseCount > 0 ? baseCount : labels.Length;
        var info = new EvalSetInfo("synthetic", "dataset-sha", baseCount, n, "samples", true,
            Enumerable.Range(0, Classes).Select(c => $"class {c}").ToArray(), null);
        return new GateInputs(info, baseIndices, rows, teacher, candidates, baseline);
    }

    public static BaselineReference Baseline(GateReport report, string? model = null) =>
        new("baseline/gate.json", "sha", report, model is null ? report.Candidates[0] : report.Candidates.First(c => c.Name == model));
}
