using System.Diagnostics;
using Edge.Core.Data;
using Edge.Core.Evaluation;
using Edge.Core.Inference;
using Edge.Core.Progress;

namespace Edge.Core.Gate;

/// <summary>
/// The gate as a library call: opens the evaluation set, the teacher and the candidates, runs them all
/// (<see cref="Evaluator"/>), checks the baseline, and applies the rules (<see cref="GateAnalysis"/>). Input
/// problems throw <see cref="EdgeException"/>; a regression is a report with <see cref="GateReport.Passed"/> false.
/// </summary>
public static class GateRunner
{
    public static GateReport Run(GateOptions options, IProgressHost progress, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        options.Thresholds.Validate();
        if (options.Candidates.Count == 0)
            throw new EdgeException("no candidate to gate: pass at least one --candidate");
        var rules = GateRuleRegistry.Select(options.Rules);
        var onnx = new OnnxRunOptions { IntraOpThreads = options.IntraOpThreads > 0 ? options.IntraOpThreads : Environment.ProcessorCount };

        var runners = new List<IModelRunner>();
        try
        {
            var teacherSources = new[] { options.Teacher }.Concat(options.MoreTeachers).ToArray();
            bool ensemble = teacherSources.Length > 1;
            for (int t = 0; t < teacherSources.Length; t++)
            {
                var source = teacherSources[t];
                runners.Add(ModelRunnerFactory.Open(source with { Name = source.Name ?? (ensemble ? source.DisplayName() : "teacher") },
                    options.TeacherPreprocess, t == 0 ? null : runners[0].Labels, onnx, options.RemoteTimeout, options.Schemes));
            }
            var teacher = runners[0];
            var names = new HashSet<string>(runners.Select(r => r.Name));
            foreach (var source in options.Candidates)
            {
                var runner = ModelRunnerFactory.Open(source, teacher.Preprocess, teacher.Labels, onnx, options.RemoteTimeout, options.Schemes);
                if (!names.Add(runner.Name))
                    throw new EdgeException($"two models are named '{runner.Name}': give candidates distinct names with ,name=NAME");
                runners.Add(runner);
            }

            using var dataset = OpenDataset(options);
            var set = new EvaluationSet(Subset(dataset, options), labeled: !options.Unlabeled);
            IReadOnlyList<string> classes = set.Labeled ? set.ClassNames
                : teacher.Labels ?? (set.ClassNames.Count == teacher.NumClasses ? set.ClassNames : Enumerable.Range(0, teacher.NumClasses).Select(i => i.ToString()).ToArray());
            var evaluations = Evaluator.Run(set, runners, classes, options.Evaluation, progress, cancel);
            var reference = ensemble ? EnsembleEvaluation.Combine(evaluations.Take(teacherSources.Length).ToArray()) : evaluations[0];
            BaselineReference? baseline = options.Baseline is { } path
                ? BaselineReference.Load(path, options.BaselineModel, set.DatasetSha256, reference.Sha256, classes)
                : null;

            var info = Describe(set, classes);
            var inputs = new GateInputs(info, set.BaseIndices, set.Labels, reference, evaluations.Skip(teacherSources.Length).ToArray(), baseline);
            using var step = progress.Begin("statistics", 1, "step");
            var report = GateAnalysis.Analyze(inputs, options.Thresholds, rules, options.BootstrapResamples, options.Seed);
            step.Report(1, 1);
            return report with { ElapsedSeconds = Math.Round(clock.Elapsed.TotalSeconds, 2) };
        }
        finally
        {
            foreach (var r in runners) r.Dispose();
        }
    }

    public static EvalSetInfo Describe(EvaluationSet set, IReadOnlyList<string> classes)
    {
        int[]? support = null;
        if (set.Labels is { } labels)
        {
            support = new int[classes.Count];
            foreach (int l in labels) support[l]++;
        }
        return new EvalSetInfo(set.Description, set.DatasetSha256, set.BaseCount, set.Count, set.SamplesSha256(), set.Labeled, classes.ToArray(), support);
    }

    /// <summary>The dataset factory's formats, or, for an unlabeled run, also a plain folder of images.</summary>
    private static IImageDataset OpenDataset(GateOptions options)
    {
        string path = options.Dataset.Folder();
        if (options.Unlabeled && Directory.Exists(path) && !DatasetFactory.CanOpen(path))
            return new UnlabeledImageFolder(path);
        return DatasetFactory.Open(options.Dataset, options.Split);
    }

    private static IImageDataset Subset(IImageDataset dataset, GateOptions options)
    {
        if (options.Samples is not { } n) return dataset;
        if (n < 1) throw new EdgeException($"--samples must be at least 1, got {n}");
        return n >= dataset.Count ? dataset : DatasetSubset.Random(dataset, n, options.SubsetSeed);
    }
}
