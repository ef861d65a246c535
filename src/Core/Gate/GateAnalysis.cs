using Edge.Core.Evaluation;
using Edge.Core.Metrics;

namespace Edge.Core.Gate;

/// <summary>
/// Turns model answers into metrics (with bootstrap intervals and paired tests) and applies the rules. Pure and
/// deterministic for a given seed: no models are run here, so the server's shadow mode and tests can call it with
/// logits they already have.
/// </summary>
public static class GateAnalysis
{
    public static GateReport Analyze(GateInputs inputs, GateThresholds thresholds, IReadOnlyList<IGateRule> rules,
        int bootstrapResamples = 1000, int seed = 1234)
    {
        thresholds.Validate();
        var bootstrap = new Bootstrap(bootstrapResamples, seed);
        double confidence = thresholds.Confidence;
        var teacherTop1 = inputs.Teacher.Predictions.Top1;
        byte[]? teacherCorrect = inputs.Labels is { } l ? inputs.Teacher.Predictions.Matches(l) : null;

        ModelReport Describe(ModelEvaluation model, bool isTeacher)
        {
            var p = model.Predictions;
            if (p.Count != inputs.BaseIndices.Length)
                throw new ArgumentException($"{model.Name} has {p.Count} predictions for {inputs.BaseIndices.Length} samples");
            byte[] agrees = p.Matches(teacherTop1);
            byte[]? correct = inputs.Labels is { } labels ? p.Matches(labels) : null;
            var agreement = bootstrap.Summarize(Bootstrap.ToDouble(agrees), confidence, 100);
            ConfidenceInterval? top1 = correct is null ? null : bootstrap.Summarize(Bootstrap.ToDouble(correct), confidence, 100).Interval;
            ConfidenceInterval? top5 = inputs.Labels is { } lb
                ? bootstrap.Summarize(Bootstrap.ToDouble(p.TopKCorrect(lb, Math.Min(5, p.Classes))), confidence, 100).Interval
                : null;
            var calibration = CalibrationResult.Compute(p.Confidence, correct ?? agrees);
            ConfusionMatrix? confusion = inputs.Labels is { } truth ? new ConfusionMatrix(truth, p.Top1, p.Classes) : null;

            PairedComparison? vsTeacher = null;
            if (!isTeacher && correct is not null && teacherCorrect is not null)
            {
                var drop = bootstrap.Summarize(Bootstrap.PairedDifference(teacherCorrect, correct), confidence, 100);
                vsTeacher = new PairedComparison(inputs.Teacher.Name, "top1", true, p.Count, drop.Interval, drop.LowerBound, McNemar.Test(teacherCorrect, correct));
            }
            PairedComparison? vsBaseline = !isTeacher && inputs.Baseline is { } baseline
                ? CompareWithBaseline(baseline, correct, agrees, inputs, bootstrap, confidence)
                : null;
            int baseCount = inputs.EvalSet.BaseCount;
            return new ModelReport
            {
                Name = model.Name,
                Kind = model.Kind,
                Location = model.Location,
                Sha256 = model.Sha256,
                Precision = model.Precision,
                Preprocess = model.Preprocess,
                Top1 = top1,
                Top5 = top5,
                Agreement = agreement.Interval,
                AgreementUpperBound = agreement.UpperBound,
                MeanKl = Divergence.MeanKl(inputs.Teacher.Predictions, p),
                Ece = calibration.Ece * 100,
                Reliability = calibration.Bins,
                PerClassAccuracy = confusion?.PerClassAccuracy().Select(a => a * 100).ToArray(),
                Confusion = confusion?.Counts,
                Latency = model.Latency,
                ImagesPerSecond = model.ImagesPerSecond,
                VsTeacher = vsTeacher,
                VsBaseline = vsBaseline,
                Samples = new SampleOutcomes(baseCount,
                    SampleMask.Encode(baseCount, inputs.BaseIndices),
                    correct is null ? null : SampleMask.Encode(baseCount, inputs.BaseIndices, correct),
                    SampleMask.Encode(baseCount, inputs.BaseIndices, agrees)),
                Notes = model.Notes,
            };
        }

        var teacher = Describe(inputs.Teacher, isTeacher: true);
        var candidates = inputs.Candidates.Select(c => Describe(c, isTeacher: false)).ToArray();
        var context = new GateContext(thresholds, inputs.EvalSet, teacher, inputs.Baseline?.Info());
        var outcomes = candidates.SelectMany(c => rules.Select(r => r.Evaluate(context, c))).ToArray();
        return new GateReport
        {
            Passed = outcomes.All(o => o.Status != RuleStatus.Fail),
            CreatedUtc = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            Producer = $"edge {typeof(GateAnalysis).Assembly.GetName().Version?.ToString(3)}",
            Thresholds = thresholds,
            BootstrapResamples = bootstrapResamples,
            Seed = seed,
            EvalSet = inputs.EvalSet,
            Teacher = teacher,
            Candidates = candidates,
            Baseline = inputs.Baseline?.Info(),
            Rules = outcomes,
        };
    }

    /// <summary>
    /// Paired on the same images when the baseline evaluated every image of this run (its per-sample outcomes are
    /// in its gate.json); otherwise an unpaired normal-approximation difference of the two proportions.
    /// </summary>
    private static PairedComparison CompareWithBaseline(BaselineReference baseline, byte[]? correct, byte[] agrees,
        GateInputs inputs, Bootstrap bootstrap, double confidence)
    {
        var model = baseline.Model;
        bool useTop1 = correct is not null && model.Samples.Correct is not null && model.Top1 is not null;
        string metric = useTop1 ? "top1" : "agreement";
        byte[] current = useTop1 ? correct! : agrees;
        int baseCount = inputs.EvalSet.BaseCount;
        byte[]? evaluated = model.Samples.BaseCount == baseCount ? SampleMask.Decode(model.Samples.Evaluated, baseCount, inputs.BaseIndices) : null;
        if (evaluated is not null && evaluated.All(e => e == 1))
        {
            byte[] reference = SampleMask.Decode(useTop1 ? model.Samples.Correct : model.Samples.Agrees, baseCount, inputs.BaseIndices)
                               ?? throw new EdgeException($"baseline {baseline.Path}: malformed per-sample outcomes for {model.Name}");
            var drop = bootstrap.Summarize(Bootstrap.PairedDifference(reference, current), confidence, 100);
            return new PairedComparison($"baseline {model.Name}", metric, true, current.Length, drop.Interval, drop.LowerBound, McNemar.Test(reference, current));
        }
        // Different images: compare the two estimates as independent binomial proportions.
        double p1 = (useTop1 ? model.Top1!.Estimate : model.Agreement.Estimate) / 100;
        int n1 = baseline.Report.EvalSet.Count;
        double p2 = current.Average(x => (double)x);
        int n2 = current.Length;
        double se = Math.Sqrt(Math.Max(p1 * (1 - p1), 1e-12) / n1 + Math.Max(p2 * (1 - p2), 1e-12) / n2);
        double d = p1 - p2;
        double zTwo = Normal.Quantile(1 - (1 - confidence) / 2), zOne = Normal.Quantile(confidence);
        var interval = new ConfidenceInterval(d * 100, (d - zTwo * se) * 100, (d + zTwo * se) * 100, confidence);
        return new PairedComparison($"baseline {model.Name}", metric, false, n2, interval, (d - zOne * se) * 100, null);
    }
}
