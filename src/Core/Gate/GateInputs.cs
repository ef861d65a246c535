using Edge.Core.Evaluation;
using Edge.Core.Metrics;
using Edge.Core.Preprocessing;

namespace Edge.Core.Gate;

/// <summary>
/// Everything <see cref="GateAnalysis"/> needs, with the models already run: the entry point for callers that
/// have logits from elsewhere (the server's shadow mode collects the primary's and the shadow's answers on live
/// traffic; the quickstart reuses its own evaluation).
/// </summary>
/// <param name="Labels">Label of each sample in <see cref="ModelEvaluation.Predictions"/> order; null: unlabeled.</param>
/// <param name="BaseIndices">Index of each sample in the base dataset (for pairing with a baseline).</param>
public sealed record GateInputs(
    EvalSetInfo EvalSet,
    int[] BaseIndices,
    int[]? Labels,
    ModelEvaluation Teacher,
    IReadOnlyList<ModelEvaluation> Candidates,
    BaselineReference? Baseline = null)
{
    /// <summary>
    /// Inputs from logits gathered elsewhere (the server's shadow mode: the reference model's and the shadow's
    /// answers on the same live requests): logits [count, classes] in <paramref name="classes"/> order; no images
    /// on disk, so the "dataset" is identified only by <paramref name="description"/>.
    /// </summary>
    public static GateInputs FromLogits(string description, IReadOnlyList<string> classes, int count, string teacherName, float[] teacherLogits,
        IReadOnlyList<(string Name, float[] Logits)> candidates, PreprocessSpec preprocess, int[]? labels = null)
    {
        ModelEvaluation Wrap(string name, float[] logits) => new(name, "logits", name, null, "unknown", preprocess,
            new Predictions(logits, count, classes.Count), LatencyStats.From([]), double.NaN, []);
        var info = new EvalSetInfo(description, "", count, count, "", labels is not null, classes.ToArray(), null);
        return new GateInputs(info, Enumerable.Range(0, count).ToArray(), labels, Wrap(teacherName, teacherLogits),
            candidates.Select(c => Wrap(c.Name, c.Logits)).ToArray());
    }
}
