using System.CommandLine;
using Edge.Cli.Terminal;
using Edge.Export.Packaging;

namespace Edge.Cli.Commands;

/// <summary><c>edge export</c>: a distill run → fp32 ONNX model package, with the parity check built in.</summary>
public sealed class ExportCommand : ICliCommand
{
    public Command Build()
    {
        var run = new Option<string>("--run") { Description = "Output folder of `edge distill` (run.json, student.weights): the student's preprocessing and labels come from its record", Required = true };
        var output = new Option<string>("--out") { Description = "Package folder to write (model.onnx + manifest.json)", Required = true };
        var name = new Option<string>("--name") { Description = "Model name in the manifest", DefaultValueFactory = _ => "student" };
        var dataset = new DatasetFlags("Images for the parity check (test split; default: the run's dataset)");
        var samples = new Option<int>("--parity-samples") { Description = "Test images compared between TorchSharp and ONNX Runtime", DefaultValueFactory = _ => 2000 };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest allowed |logit difference|", DefaultValueFactory = _ => 1e-4 };
        var opset = new Option<int>("--opset") { Description = "ONNX opset (17 or later; 20 writes GELU as one node)", DefaultValueFactory = _ => 20 };
        var command = new Command("export", "Export a distilled student to an ONNX model package and prove parity with TorchSharp on real images")
        {
            run, output, name, samples, tolerance, opset,
        };
        foreach (var o in dataset.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var distill = DistillRun.Read(parse.GetValue(run)!);
            using var model = distill.LoadModel();
            var result = StudentPackager.Export(model, distill, new ExportPackageOptions
            {
                OutputDir = parse.GetValue(output)!,
                Name = parse.GetValue(name)!,
                Dataset = parse.GetValue(dataset.Data) is null ? null : dataset.Source(parse, distill.Record.Options.Dataset),
                ParitySamples = parse.GetValue(samples),
                Tolerance = parse.GetValue(tolerance),
                Opset = parse.GetValue(opset),
            }, ConsoleProgressHost.ForConsole());
            var o = parse.InvocationConfiguration.Output;
            o.WriteLine($"exported {result.Export}");
            o.WriteLine($"parity: {result.Parity}");
            o.WriteLine($"package: {Path.GetDirectoryName(result.Package.ManifestPath)}");
            return 0;
        });
        return command;
    }
}
