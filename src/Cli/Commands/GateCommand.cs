using System.CommandLine;
using Edge.Cli.Terminal;
using Edge.Core;
using Edge.Core.Evaluation;
using Edge.Core.Gate;
using Edge.Core.IO;

namespace Edge.Cli.Commands;

/// <summary>
/// <c>edge gate</c>: evaluates the teacher and candidates on an evaluation set and applies the gate's rules.
/// Exit 0 when every rule passes, 1 on a regression, 2 on bad input (via <see cref="EdgeException"/>).
/// </summary>
public sealed class GateCommand : ICliCommand
{
    public Command Build()
    {
        var teacher = new Option<string[]>("--teacher") { Description = "Teacher: a model package, an .onnx file with a manifest beside it, torch:RUN_FOLDER, or grpc://host:port/model,manifest=PATH; repeat for an ensemble (mean of the members' probabilities, each with its own preprocessing)", Required = true, AllowMultipleArgumentsPerToken = false };
        var candidates = new Option<string[]>("--candidate")
        {
            Description = "A candidate (repeatable): package, .onnx, torch:RUN_FOLDER, or grpc://host:port/model[/version]; append ,name=NAME and/or ,manifest=PATH",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var data = new DatasetFlags("Evaluation set");
        var split = new Option<string>("--split") { Description = "Dataset split: train, val or test", DefaultValueFactory = _ => "test" };
        var samples = new Option<int?>("--samples") { Description = "Evaluate a seeded random subset of this many images (default: all)" };
        var subsetSeed = new Option<int>("--subset-seed") { Description = "Seed of the random subset", DefaultValueFactory = _ => 0 };
        var unlabeled = new Option<bool>("--unlabeled") { Description = "Ignore the labels: compare candidates with the teacher only" };
        var baseline = new Option<string?>("--baseline") { Description = "The last released model's gate.json (or its folder) for the drop-vs-baseline rule" };
        var baselineModel = new Option<string?>("--baseline-model") { Description = "Which candidate of the baseline report to compare with (default: its first)" };
        var config = new Option<string?>("--config") { Description = "JSON file of thresholds (snake_case GateThresholds); flags override it" };
        var maxDrop = new Option<double?>("--max-top1-drop") { Description = "Tolerated top-1 drop vs the teacher, points (default 3)" };
        var maxDropHard = new Option<double?>("--max-top1-drop-hard") { Description = "Hard limit on the measured drop vs the teacher (default 2x the tolerance)" };
        var minAgreement = new Option<double?>("--min-agreement") { Description = "Minimum top-1 agreement with the teacher, percent (default 90)" };
        var minAgreementHard = new Option<double?>("--min-agreement-hard") { Description = "Hard floor on the measured agreement (default: twice the tolerated disagreement)" };
        var maxBaselineDrop = new Option<double?>("--max-drop-vs-baseline") { Description = "Tolerated top-1 drop vs the baseline, points (default 0.5)" };
        var maxBaselineDropHard = new Option<double?>("--max-drop-vs-baseline-hard") { Description = "Hard limit on the measured drop vs the baseline (default 2x the tolerance)" };
        var maxLatency = new Option<double?>("--max-latency-ms") { Description = "Maximum median batch-1 latency, ms (default: no limit)" };
        var confidence = new Option<double?>("--confidence") { Description = "Confidence of the significance bounds (default 0.95)" };
        var rules = new Option<string?>("--rules") { Description = $"Comma-separated rules to run (default all: {string.Join(", ", GateRuleRegistry.All.Select(r => r.Name))})" };
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap resamples", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Bootstrap seed", DefaultValueFactory = _ => 1234 };
        var batch = new Option<int>("--batch-size") { Description = "Images per inference call", DefaultValueFactory = _ => 128 };
        var latencySamples = new Option<int>("--latency-samples") { Description = "Timed batch-1 calls per model (0: skip latency)", DefaultValueFactory = _ => 50 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime threads per model (0: one per core)", DefaultValueFactory = _ => 0 };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Keep logits of unchanged model files here and reuse them (e.g. the teacher's in CI)" };
        var output = new Option<string>("--out") { Description = "Folder for gate.json, junit.xml, report.md and the PNG figures", DefaultValueFactory = _ => "gate-report" };

        var command = new Command("gate", "Gate candidates against the teacher (and the last release): accuracy, agreement, KL, calibration, latency, with significance tests")
        {
            teacher, candidates, split, samples, subsetSeed, unlabeled, baseline, baselineModel, config,
            maxDrop, maxDropHard, minAgreement, minAgreementHard, maxBaselineDrop, maxBaselineDropHard, maxLatency, confidence,
            rules, bootstrap, seed, batch, latencySamples, threads, cacheDir, output,
        };
        foreach (var o in data.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var thresholds = parse.GetValue(config) is { } configPath ? JsonFiles.Read<GateThresholds>(configPath) : new GateThresholds();
            thresholds = thresholds with
            {
                MaxTop1Drop = parse.GetValue(maxDrop) ?? thresholds.MaxTop1Drop,
                MaxTop1DropHard = parse.GetValue(maxDropHard) ?? thresholds.MaxTop1DropHard,
                MinAgreement = parse.GetValue(minAgreement) ?? thresholds.MinAgreement,
                MinAgreementHard = parse.GetValue(minAgreementHard) ?? thresholds.MinAgreementHard,
                MaxDropVsBaseline = parse.GetValue(maxBaselineDrop) ?? thresholds.MaxDropVsBaseline,
                MaxDropVsBaselineHard = parse.GetValue(maxBaselineDropHard) ?? thresholds.MaxDropVsBaselineHard,
                MaxLatencyMs = parse.GetValue(maxLatency) ?? thresholds.MaxLatencyMs,
                Confidence = parse.GetValue(confidence) ?? thresholds.Confidence,
            };
            var options = new GateOptions
            {
                Teacher = ModelSource.Parse(parse.GetValue(teacher)![0]),
                MoreTeachers = [.. parse.GetValue(teacher)!.Skip(1).Select(ModelSource.Parse)],
                Schemes = new Dictionary<string, Func<ModelSource, IModelRunner>> { ["torch"] = Edge.Distill.Evaluation.TorchModelRunner.Open },
                Candidates = parse.GetValue(candidates)!.Select(ModelSource.Parse).ToArray(),
                Dataset = data.Source(parse),
                Split = parse.GetValue(split)!,
                Samples = parse.GetValue(samples),
                SubsetSeed = parse.GetValue(subsetSeed),
                Unlabeled = parse.GetValue(unlabeled),
                Baseline = parse.GetValue(baseline),
                BaselineModel = parse.GetValue(baselineModel),
                Thresholds = thresholds,
                Rules = parse.GetValue(rules)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                BootstrapResamples = parse.GetValue(bootstrap),
                Seed = parse.GetValue(seed),
                IntraOpThreads = parse.GetValue(threads),
                Evaluation = new EvaluatorOptions
                {
                    BatchSize = parse.GetValue(batch),
                    LatencySamples = parse.GetValue(latencySamples),
                    Cache = parse.GetValue(cacheDir) is { } dir ? new LogitCache(dir) : null,
                },
            };
            var writer = parse.InvocationConfiguration.Output;
            var progress = new ConsoleProgressHost(writer, interactive: ReferenceEquals(writer, System.Console.Out) && !System.Console.IsOutputRedirected);
            var report = GateRunner.Run(options, progress);
            string folder = parse.GetValue(output)!;
            GateReportWriter.Write(report, folder);
            Print(report, writer, folder);
            return report.Passed ? 0 : 1;
        });
        return command;
    }

    private static void Print(GateReport report, TextWriter writer, string folder)
    {
        foreach (var m in new[] { report.Teacher }.Concat(report.Candidates))
        {
            string top1 = m.Top1 is { } t ? $"top-1 {t.Estimate:0.00}% [{t.Lower:0.00}, {t.Upper:0.00}]  " : "";
            writer.WriteLine($"{m.Name,-20} {top1}agreement {m.Agreement.Estimate:0.00}%  KL {m.MeanKl:0.0000}  ECE {m.Ece:0.00}%  p50 {m.Latency.P50Ms:0.00} ms");
        }
        foreach (var r in report.Rules.Where(r => r.Status != RuleStatus.Skip))
            writer.WriteLine($"{(r.Status == RuleStatus.Pass ? "pass" : "FAIL"),-4}  {r.Rule,-22} {r.Model,-20} {r.Detail}");
        writer.WriteLine(report.Passed
            ? $"gate PASSED ({report.Rules.Count(r => r.Status == RuleStatus.Pass)} rule checks); report in {Path.Combine(folder, GateReportWriter.MarkdownFileName)}"
            : $"gate FAILED: {string.Join(", ", report.Failures().Select(f => $"{f.Rule} ({f.Model})").Distinct())}; report in {Path.Combine(folder, GateReportWriter.MarkdownFileName)}");
    }
}
