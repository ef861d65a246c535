using System.CommandLine;
using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Import;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;

namespace Edge.Cli.Commands;

/// <summary><c>edge import</c>: any ONNX image classifier → an Edge model package (see <see cref="ModelImporter"/>).</summary>
public sealed class ImportCommand : ICliCommand
{
    private static readonly Choices<InputLayout> Layouts = new(new Dictionary<string, InputLayout>
    {
        ["auto"] = InputLayout.Auto, ["nchw"] = InputLayout.Nchw, ["nhwc"] = InputLayout.Nhwc,
    });

    public Command Build()
    {
        var model = new Argument<string>("model") { Description = "The ONNX classifier to import" };
        var output = new Option<string>("--out", "-o") { Description = "Package folder to write (model.onnx + manifest.json)", Required = true };
        var name = new Option<string?>("--name") { Description = "Model name in the manifest (default: the file name)" };
        var labels = new Option<string?>("--labels") { Description = "Class labels in output order: a file (one per line) or comma-separated names" };
        var data = new Option<string?>("--data") { Description = "Take the labels from this dataset's class names (a built-in name or a folder), whose class order must be the model's output order (IDX class indices; an image folder's sorted folder names, as torchvision's ImageFolder trains); its images also serve the output-kind probe" };
        var datasetLabels = new Option<string?>("--data-labels") { Description = "Labels file of --data (folder=label lines), when its folder names are not the model's labels" };
        var size = new Option<int?>("--size") { Description = "Input side in pixels, for a model with a dynamic height and width" };
        var height = new Option<int?>("--height") { Description = "Input height (non-square models)" };
        var width = new Option<int?>("--width") { Description = "Input width (non-square models)" };
        var channels = new Option<int?>("--channels") { Description = "Input channels (1 or 3), for a model with a dynamic channel count" };
        var color = new Option<string?>("--color") { Description = "rgb, or gray: a 3-channel model trained on gray images gets luma replicated to all three (gray→RGB)" };
        var resize = new Option<string?>("--resize") { Description = "bilinear (default) or nearest" };
        var crop = new Option<float?>("--crop-fraction") { Description = "Centre crop before resizing, e.g. 0.875 (timm's crop_pct); default 1" };
        var mean = new Option<string?>("--mean") { Description = $"Normalisation mean: values or a preset ({string.Join(", ", NormalizationPresets.Names)}); default 0" };
        var std = new Option<string?>("--std") { Description = "Normalisation std: values or a preset; default 1" };
        var kind = new Option<string?>("--output-kind") { Description = $"What the output holds ({string.Join(", ", OutputKinds.Names)}); default: detected from a trailing Softmax/LogSoftmax, else probed" };
        var input = new Option<string?>("--input") { Description = "The image input's name (models with several inputs)" };
        var outputName = new Option<string?>("--output") { Description = "The class-score output's name (models with several outputs)" };
        var layout = Layouts.Option("--layout", "Input layout", "auto");
        var command = new Command("import", "Turn any ONNX image classifier into an Edge model package: labels, preprocessing and output kind in a checked manifest")
        {
            model, output, name, labels, data, datasetLabels, size, height, width, channels, color, resize, crop, mean, std, kind, input, outputName, layout,
        };
        command.SetAction(parse =>
        {
            string? meanText = parse.GetValue(mean), stdText = parse.GetValue(std);
            var result = ModelImporter.Import(new ImportOptions
            {
                Model = parse.GetValue(model)!,
                OutputDir = parse.GetValue(output)!,
                Name = parse.GetValue(name),
                Labels = parse.GetValue(labels),
                Dataset = parse.GetValue(data) is { } d ? new DatasetSource { Path = d, Labels = parse.GetValue(datasetLabels) } : null,
                Size = parse.GetValue(size),
                Height = parse.GetValue(height),
                Width = parse.GetValue(width),
                Channels = parse.GetValue(channels),
                Color = parse.GetValue(color) is { } c ? (c.Trim().ToLowerInvariant() is "gray" or "grey" ? ColorMode.Gray : c.Trim().ToLowerInvariant() == "rgb" ? ColorMode.Rgb
                    : throw new EdgeException($"--color '{c}' is not rgb or gray")) : null,
                Resize = parse.GetValue(resize) is { } r ? (r.Trim().ToLowerInvariant() == "nearest" ? ResizeMethod.Nearest : r.Trim().ToLowerInvariant() == "bilinear" ? ResizeMethod.Bilinear
                    : throw new EdgeException($"--resize '{r}' is not bilinear or nearest")) : null,
                CropFraction = parse.GetValue(crop),
                Mean = meanText is null ? null : NormalizationPresets.ParseVector(meanText, "--mean", std: false),
                Std = stdText is null ? null : NormalizationPresets.ParseVector(stdText, "--std", std: true),
                OutputKind = parse.GetValue(kind) is { } k ? OutputKinds.Parse(k) : null,
                Input = parse.GetValue(input),
                Output = parse.GetValue(outputName),
                Layout = Layouts.Parse(parse.GetValue(layout)!),
            });
            var o = parse.InvocationConfiguration.Output;
            var m = result.Package.Manifest;
            foreach (var note in result.Notes) o.WriteLine($"note: {note}");
            o.WriteLine($"input {m.Input.Name} [{string.Join(", ", m.Input.Shape)}], preprocessing {m.Preprocess}");
            o.WriteLine($"output {m.Output.Name} [{string.Join(", ", m.Output.Shape)}]: {OutputKinds.Name(m.Output.Kind)} ({result.OutputKindEvidence})");
            o.WriteLine($"labels: {string.Join(", ", m.Labels.Take(10))}{(m.Labels.Count > 10 ? $", … ({m.Labels.Count})" : "")}");
            o.WriteLine($"package: {Path.GetDirectoryName(result.Package.ManifestPath)}");
            return 0;
        });
        return command;
    }
}
