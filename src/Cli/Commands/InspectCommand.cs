using System.CommandLine;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Onnx;
using Spectre.Console;

namespace Edge.Cli.Commands;

/// <summary><c>edge inspect</c>: a package's manifest, op histogram, size and parameter count.</summary>
public sealed class InspectCommand : ICliCommand
{
    public Command Build()
    {
        var model = new Argument<string>("model") { Description = "A model package folder, a manifest .json, or an .onnx file" };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON" };
        var command = new Command("inspect", "Show a model package: manifest, operators, size, parameters") { model, json };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            var package = ModelPackage.TryLoad(path);
            string onnx = package?.ModelPath ?? path;
            var summary = OnnxModelSummary.Read(onnx);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonFiles.Serialize(new { summary, manifest = package?.Manifest }));
                return 0;
            }
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No });
            var table = new Table().AddColumn("field").AddColumn("value").Border(TableBorder.Simple);
            table.AddRow("file", Markup.Escape(summary.Path));
            table.AddRow("size", $"{summary.FileBytes / 1e6:0.00} MB");
            table.AddRow("parameters", $"{summary.Parameters:N0} ({Markup.Escape(string.Join(", ", summary.ParametersByType.Select(kv => $"{kv.Key} {kv.Value:N0}")))})");
            table.AddRow("opsets", Markup.Escape(string.Join(", ", summary.Opsets.Select(kv => $"{kv.Key} {kv.Value}"))));
            table.AddRow("inputs", Markup.Escape(string.Join("; ", summary.Inputs)));
            table.AddRow("outputs", Markup.Escape(string.Join("; ", summary.Outputs)));
            table.AddRow("producer", Markup.Escape(summary.Producer));
            if (package is not null)
            {
                var m = package.Manifest;
                table.AddRow("name", Markup.Escape(m.Name));
                table.AddRow("precision", m.Precision);
                table.AddRow("labels", Markup.Escape(string.Join(", ", m.Labels)));
                table.AddRow("preprocess", Markup.Escape(m.Preprocess.ToString()));
                if (m.Teacher is not null) table.AddRow("teacher", Markup.Escape($"{m.Teacher.File} ({m.Teacher.Sha256[..12]}…)"));
                if (m.Parity is not null) table.AddRow("parity", $"max |Δ| {m.Parity.MaxAbsDiff:E2}, top-1 agreement {m.Parity.Top1Agreement:P2} on {m.Parity.Samples}");
                if (m.Quantization is not null) table.AddRow("quantization", Markup.Escape($"{m.Quantization.Method} {m.Quantization.Format}, {m.Quantization.Calibration} on {m.Quantization.CalibrationSamples}, {m.Quantization.QuantizedNodes} nodes quantized, float: {string.Join(", ", m.Quantization.KeptInFloat)}"));
                if (m.Gate is not null)
                    foreach (var g in m.Gate)
                        table.AddRow($"gate {Markup.Escape(g.Rule)}", Markup.Escape($"{(g.Passed ? "pass" : "FAIL")} {g.Value:0.####} (threshold {g.Threshold:0.####}) {g.Detail}"));
            }
            console.Write(table);
            var ops = new Table().AddColumn("operator").AddColumn(new TableColumn("count").RightAligned()).Border(TableBorder.Simple);
            foreach (var (op, count) in summary.OpHistogram)
                ops.AddRow(Markup.Escape(op), count.ToString());
            console.Write(ops);
            return 0;
        });
        return command;
    }
}
