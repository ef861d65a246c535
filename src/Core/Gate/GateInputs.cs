using Edge.Core.Evaluation;

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
    BaselineReference? Baseline = null);
