using Edge.Core.Onnx;

namespace Edge.Core.Manifest;

/// <summary>
/// Checks a manifest against the model it describes — input and output names, the input's shape and element type,
/// the class count — so a package that contradicts its graph is refused on load, with one line naming the field and
/// what the graph says (see docs/MANIFEST.md).
/// </summary>
public static class ManifestValidator
{
    public static void Check(ModelManifest m, GraphSignature graph, string manifestPath, string modelPath)
    {
        string model = Path.GetFileName(modelPath);
        var input = graph.Inputs.FirstOrDefault(i => i.Name == m.Input.Name)
            ?? throw Field(manifestPath, "input.name", $"'{m.Input.Name}' is not an input of {model} (its inputs: {string.Join(", ", graph.Inputs)})");
        if (graph.Inputs.Count != 1)
            throw Field(manifestPath, "input", $"{model} has {graph.Inputs.Count} inputs ({string.Join(", ", graph.Inputs)}); an image classifier package has one");
        if (input.ElementType != "float")
            throw Field(manifestPath, "input.dtype", $"{model} input '{input.Name}' is {input.ElementType}; Edge feeds float32 images");
        if (input.KnownRank && input.Dims.Length != 4)
            throw Field(manifestPath, "input.shape", $"{model} input {input} has rank {input.Dims.Length}; an image classifier takes [batch, channels, height, width] (import a channels-last model with `edge import --layout nhwc`)");
        var p = m.Preprocess;
        long[] want = [p.Channels, p.Height, p.Width];
        for (int d = 0; d < 3 && input.Dims.Length == 4; d++)
            if (input.Dims[d + 1] > 0 && input.Dims[d + 1] != want[d])
                throw Field(manifestPath, d == 0 ? "preprocess.channels" : d == 1 ? "preprocess.height" : "preprocess.width",
                    $"is {want[d]} but {model} input {input} takes {input.Dims[d + 1]}");
        var output = graph.Outputs.FirstOrDefault(o => o.Name == m.Output.Name)
            ?? throw Field(manifestPath, "output.name", $"'{m.Output.Name}' is not an output of {model} (its outputs: {string.Join(", ", graph.Outputs)})");
        if (output.ElementType != "float")
            throw Field(manifestPath, "output.dtype", $"{model} output {output} is {output.ElementType}; a classifier outputs float32 class scores");
        if (output.KnownRank && output.Dims.Length != 2)
            throw Field(manifestPath, "output.shape", $"{model} output {output} is not a class vector [batch, classes]");
        if (output.Dims.Length == 2 && output.Dims[1] > 0 && output.Dims[1] != m.Labels.Count)
            throw Field(manifestPath, "labels", $"lists {m.Labels.Count} labels but {model} output {output} has {output.Dims[1]} classes");
        if (graph.FinalActivation.GetValueOrDefault(output.Name) is { } kind && kind != m.Output.Kind)
            throw Field(manifestPath, "output.kind", $"is {OutputKinds.Name(m.Output.Kind)} but {model} ends in {(kind == OutputKind.Probabilities ? "Softmax" : "LogSoftmax")}: set it to {OutputKinds.Name(kind)}");
    }

    private static EdgeException Field(string manifestPath, string field, string problem) =>
        new($"{manifestPath}: {field} {problem}");
}
