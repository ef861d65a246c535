using System.CommandLine;
using Edge.Cli.Quickstart;
using Edge.Cli.Terminal;
using Edge.Core.Gate;
using Edge.Core.Onnx;
using Spectre.Console;

namespace Edge.Cli.Commands;

/// <summary><c>edge quickstart</c>: the whole pipeline on Fashion-MNIST with the default teacher, then a summary table.</summary>
public sealed class QuickstartCommand : ICliCommand
{
    public Command Build()
    {
        var output = new Option<string>("--out") { Description = "Folder for every artifact (distill run, packages, gate report, repository)", DefaultValueFactory = _ => "runs/quickstart" };
        var teacher = new Option<string?>("--teacher") { Description = "Teacher model package; default models/fmnist-resnet18.onnx" };
        var student = new Option<string>("--student") { Description = "Student preset", DefaultValueFactory = _ => "tinyvit-quick-32" };
        var epochs = new Option<int>("--epochs") { Description = "Distillation epochs", DefaultValueFactory = _ => 6 };
        var teacherSamples = new Option<int>("--teacher-samples") { Description = "Training images that get teacher targets (0: all 60,000)", DefaultValueFactory = _ => 30_000 };
        var trainSamples = new Option<int?>("--train-samples") { Description = "Use only this many training images (smoke runs)" };
        var seed = new Option<int>("--seed") { Description = "Seed for training and calibration", DefaultValueFactory = _ => 0 };
        var command = new Command("quickstart", "Distill → export → quantize → gate → serve on Fashion-MNIST with the default teacher, and print a summary")
        {
            output, teacher, student, epochs, teacherSamples, trainSamples, seed,
        };
        command.SetAction(async (parse, cancel) =>
        {
            var log = parse.InvocationConfiguration.Output;
            DatasetInstaller.EnsureFashionMnist(log);
            var options = new QuickstartOptions
            {
                OutputDir = parse.GetValue(output)!,
                Teacher = parse.GetValue(teacher) ?? DefaultPaths.Teacher(),
                Student = parse.GetValue(student)!,
                Epochs = parse.GetValue(epochs),
                TeacherSamples = parse.GetValue(teacherSamples),
                TrainSamples = parse.GetValue(trainSamples),
                Seed = parse.GetValue(seed),
            };
            var result = await QuickstartPipeline.RunAsync(options, ConsoleProgressHost.ForConsole(), log, cancel);
            using (result.Distill)
                Print(result, log);
            return result.Gate.Passed && result.Fp32Gate.Passed ? 0 : 1;
        });
        return command;
    }

    private static void Print(QuickstartResult r, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        // Redirected output (CI logs) reports 80 columns, which would wrap the table into unreadable cells.
        console.Profile.Width = Math.Max(console.Profile.Width, 150);
        var gate = r.Gate;
        var table = new Table().Title("Edge quickstart: Fashion-MNIST test set (10,000 images), ONNX Runtime CPU").Border(TableBorder.Rounded)
            .AddColumn("model").AddColumn(new TableColumn("top-1 (95% CI)").RightAligned()).AddColumn(new TableColumn("agreement with teacher").RightAligned())
            .AddColumn(new TableColumn("size").RightAligned()).AddColumn(new TableColumn("parameters").RightAligned())
            .AddColumn(new TableColumn("batch-1 latency (p50)").RightAligned()).AddColumn(new TableColumn("gate").Centered());
        var rows = new (ModelReport Model, GateReport Report, string Onnx)[]
        {
            (gate.Teacher, gate, gate.Teacher.Location),
            (r.Fp32Gate.Candidates[0], r.Fp32Gate, r.Fp32.Package.ModelPath),
            (gate.Candidates[0], gate, r.Int8.Package.ModelPath),
        };
        foreach (var (model, report, onnx) in rows)
        {
            var summary = OnnxModelSummary.Read(onnx);
            var verdicts = report.Rules.Where(x => x.Model == model.Name && x.Status != RuleStatus.Skip).ToArray();
            string verdict = model.Name == "teacher" ? "reference" : verdicts.All(x => x.Status == RuleStatus.Pass) ? "[green]pass[/]" : "[red]FAIL[/]";
            table.AddRow(
                model.Name,
                model.Top1 is { } t ? $"{t.Estimate:0.00}% ({t.Lower:0.0}–{t.Upper:0.0})" : "-",
                model.Name == "teacher" ? "-" : $"{model.Agreement.Estimate:0.00}%",
                $"{summary.FileBytes / 1e6:0.00} MB",
                $"{summary.Parameters / 1e6:0.00} M",
                $"{model.Latency.P50Ms:0.00} ms",
                verdict);
        }
        console.Write(table);

        var d = r.Distill;
        console.MarkupLine($"distill: {Markup.Escape(d.Loss)}, {d.Epochs.Count} epochs, {d.TrainImagesPerSecond:N0} img/s, {d.TotalSeconds / 60:0.0} min (teacher targets {d.TeacherSeconds:0} s)");
        console.MarkupLine($"export parity (TorchSharp vs ONNX Runtime): {Markup.Escape(r.Fp32.Parity.ToString())}");
        var fp32 = r.Fp32Gate.Candidates[0];
        var int8 = gate.Candidates[0];
        if (fp32?.Top1 is { } a && int8?.Top1 is { } b)
            console.MarkupLine($"INT8 vs fp32: top-1 {b.Estimate - a.Estimate:+0.00;-0.00} points, size {(double)new FileInfo(r.Int8.Package.ModelPath).Length / new FileInfo(r.Fp32.Package.ModelPath).Length:P0} of fp32");

        var served = new Table().Title($"Served over gRPC at {Markup.Escape(r.GrpcAddress)} (Classify, PNG bytes)").Border(TableBorder.Simple)
            .AddColumn("test image").AddColumn("true label").AddColumn("predicted").AddColumn(new TableColumn("probability").RightAligned()).AddColumn(new TableColumn("round trip").RightAligned());
        foreach (var s in r.Served)
            served.AddRow($"#{s.Index}", Markup.Escape(s.TrueLabel), (s.Predicted == s.TrueLabel ? "[green]" : "[yellow]") + Markup.Escape(s.Predicted) + "[/]", $"{s.Probability:P1}", $"{s.Milliseconds:0.0} ms");
        console.Write(served);

        foreach (var report in new[] { r.Fp32Gate, gate })
            foreach (var rule in report.Rules.Where(x => x.Status != RuleStatus.Skip))
                console.MarkupLine($"  {(rule.Status == RuleStatus.Pass ? "[green]pass[/]" : "[red]FAIL[/]")} {Markup.Escape(rule.Model)} {Markup.Escape(rule.Rule)}: {Markup.Escape(rule.Detail)}");
        console.MarkupLine(gate.Passed && r.Fp32Gate.Passed ? "[green]gate passed[/]" : "[red]gate FAILED[/]");
        console.MarkupLine($"model package (INT8): [bold]{Markup.Escape(r.PackageDir)}[/]");
        console.MarkupLine($"gate reports: {Markup.Escape(Path.Combine(r.GateDir, GateReportWriter.MarkdownFileName))} (baseline: gate-fp32/gate.json)");
        console.MarkupLine($"total time: {r.Elapsed.TotalMinutes:0.0} min");
    }
}
