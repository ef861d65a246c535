using Edge.Core.Data;
using Edge.Core.Imaging;
using Edge.Core.Inference;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Onnx;
using Edge.Core.Preprocessing;
using Edge.Onnx.Proto;
using Google.Protobuf;

namespace Edge.Core.Import;

/// <summary>
/// <c>edge import MODEL.onnx --out PKG</c>: turns any ONNX image classifier (timm, torchvision, Hugging Face, Keras via
/// tf2onnx…) into an Edge package. The graph gives input and output names, shapes and types; a channels-last input
/// gets a Transpose in front so the package takes NCHW like every Edge model; the output kind comes from a trailing
/// Softmax/LogSoftmax, else from probing the outputs; labels and preprocessing come from the options. The manifest is
/// checked against the graph before anything is written, and the package is written atomically.
/// </summary>
public static class ModelImporter
{
    public static ImportResult Import(ImportOptions o)
    {
        var model = OnnxModelSummary.Load(Path.GetFullPath(o.Model));
        var notes = new List<string>();
        var signature = GraphSignature.Of(model);
        var input = PickInput(signature, o);
        var output = PickOutput(signature, o);

        // Layout: NCHW unless the input looks channels-last (or says so).
        var dims = input.Dims;
        if (dims.Length != 4)
            throw new EdgeException($"{o.Model}: input {input} has rank {dims.Length}; an image classifier takes [batch, channels, height, width] or [batch, height, width, channels]");
        bool nhwc = o.Layout == InputLayout.Nhwc || (o.Layout == InputLayout.Auto && dims[3] is 1 or 3 && dims[1] is not (1 or 3));
        bool transposed = false;
        if (nhwc)
        {
            ToChannelsFirst(model, input.Name);
            dims = [dims[0], dims[3], dims[1], dims[2]];
            transposed = true;
            notes.Add($"input {input.Name} is channels-last {input}: the package's model takes it channels-first through a Transpose");
        }

        var spec = Spec(o, dims, input);
        var labels = Labels(o, output);
        var checkedSignature = GraphSignature.Of(model);
        string tmp = AtomicFile.TempPathFor(Path.Combine(Path.GetFullPath(o.OutputDir), "..", "import.onnx"));
        try
        {
            File.WriteAllBytes(tmp, model.ToByteArray());
            var (kind, evidence) = o.OutputKind is { } given ? (given, "given")
                : checkedSignature.FinalActivation.GetValueOrDefault(output.Name) is { } fromGraph
                    ? (fromGraph, $"the graph ends in {(fromGraph == OutputKind.Probabilities ? "Softmax" : "LogSoftmax")}")
                    : Probe(tmp, spec, output.Name, labels.Count, o);
            var manifest = new ModelManifest
            {
                Name = o.Name ?? Path.GetFileNameWithoutExtension(o.Model),
                Labels = labels,
                Input = new TensorSpec(input.Name, [-1, spec.Channels, spec.Height, spec.Width]),
                Output = new OutputSpec(output.Name, [-1, labels.Count], Kind: kind),
                Preprocess = spec,
                Producer = $"edge import of {Path.GetFileName(o.Model)}" + (string.IsNullOrEmpty(model.ProducerName) ? "" : $" ({model.ProducerName} {model.ProducerVersion})".TrimEnd()),
            };
            ManifestValidator.Check(manifest, checkedSignature, Path.Combine(o.OutputDir, ModelPackage.ManifestFileName), tmp);
            var package = ModelPackage.Write(o.OutputDir, tmp, manifest);
            return new ImportResult(package, evidence, transposed, notes);
        }
        finally
        {
            AtomicFile.TryDelete(tmp);
        }
    }

    private static GraphTensor PickInput(GraphSignature g, ImportOptions o)
    {
        if (o.Input is { } name)
            return g.Inputs.FirstOrDefault(i => i.Name == name) ?? throw new EdgeException($"{o.Model} has no input '{name}' (its inputs: {string.Join(", ", g.Inputs)})");
        var floats = g.Inputs.Where(i => i.ElementType == "float").ToArray();
        if (g.Inputs.Count != 1 || floats.Length != 1)
            throw new EdgeException($"{o.Model} has {g.Inputs.Count} inputs ({string.Join(", ", g.Inputs)}); an image classifier package has one float image input");
        return floats[0];
    }

    private static GraphTensor PickOutput(GraphSignature g, ImportOptions o)
    {
        GraphTensor output;
        if (o.Output is { } name)
            output = g.Outputs.FirstOrDefault(x => x.Name == name) ?? throw new EdgeException($"{o.Model} has no output '{name}' (its outputs: {string.Join(", ", g.Outputs)})");
        else
        {
            var vectors = g.Outputs.Where(x => (x.Dims.Length == 2 || !x.KnownRank) && x.ElementType == "float").ToArray();
            if (vectors.Length != 1)
                throw new EdgeException($"{o.Model} has outputs {string.Join(", ", g.Outputs)}; {(vectors.Length == 0 ? "none is" : "several are")} a class vector [batch, classes]: name the one to use with --output");
            output = vectors[0];
        }
        if ((output.KnownRank && output.Dims.Length != 2) || output.ElementType != "float")
            throw new EdgeException($"{o.Model}: output {output} is not a class vector [batch, classes] of float scores; Edge imports image classifiers");
        return output;
    }

    private static PreprocessSpec Spec(ImportOptions o, long[] dims, GraphTensor input)
    {
        int Need(int? given, long fromGraph, string flag, string what)
        {
            if (given is { } g)
            {
                if (fromGraph > 0 && fromGraph != g)
                    throw new EdgeException($"{flag} {g} contradicts {o.Model}: input {input} takes {what} {fromGraph}");
                return g;
            }
            return fromGraph > 0 ? (int)fromGraph
                : throw new EdgeException($"{o.Model}: input {input} has a dynamic {what}; give it with {flag}");
        }
        int channels = Need(o.Channels, dims[1], "--channels", "channel count");
        int height = Need(o.Size ?? o.Height, dims[2], o.Size is null ? "--height (or --size)" : "--size", "height");
        int width = Need(o.Size ?? o.Width, dims[3], o.Size is null ? "--width (or --size)" : "--size", "width");
        float[] Fit(float[]? values, float fallback, string flag) =>
            values is null ? [.. Enumerable.Repeat(fallback, channels)]
            : values.Length == channels ? values
            : values.Length == 1 ? [.. Enumerable.Repeat(values[0], channels)]
            : throw new EdgeException($"{flag} has {values.Length} values but {o.Model} takes {channels} channel(s)");
        var spec = new PreprocessSpec
        {
            Channels = channels, Height = height, Width = width, Color = o.Color,
            Resize = o.Resize ?? ResizeMethod.Bilinear, CropFraction = o.CropFraction ?? 1f,
            Mean = Fit(o.Mean, 0f, "--mean"), Std = Fit(o.Std, 1f, "--std"),
        };
        spec.Validate();
        return spec;
    }

    private static IReadOnlyList<string> Labels(ImportOptions o, GraphTensor output)
    {
        IReadOnlyList<string> labels;
        if (o.Labels is { } given) labels = LabelsFile.Parse(given);
        else if (o.Dataset is { } data)
        {
            using var set = data.Open("train");
            labels = set.ClassNames;
        }
        else throw new EdgeException($"{o.Model}: give its class labels with --labels FILE (one per line, in output order) or --data DATASET (its class names)");
        if (output.Dims.Length == 2 && output.Dims[1] > 0 && output.Dims[1] != labels.Count)
            throw new EdgeException($"{(o.Labels is null ? "the dataset" : "--labels")} gives {labels.Count} classes but {o.Model} output {output} has {output.Dims[1]}; give one label per output");
        return labels;
    }

    /// <summary>Runs real images (when a dataset is given) or random ones through the model and reads its outputs.</summary>
    private static (OutputKind, string) Probe(string modelPath, PreprocessSpec spec, string outputName, int classes, ImportOptions o)
    {
        using var classifier = new OnnxClassifier(modelPath, new OnnxRunOptions { IntraOpThreads = 1 });
        if (classifier.OutputName != outputName)
            throw new EdgeException($"{o.Model}: the output-kind probe reads {classifier.OutputName}, not {outputName}; pass --output-kind");
        int n = Math.Max(2, o.ProbeSamples), len = spec.TensorLength;
        var input = new float[n * len];
        var pre = new Preprocessor(spec);
        if (o.Dataset is { } data)
        {
            using var set = data.Open("train");
            var pick = DatasetSubset.Random(set, n, 0);
            n = pick.Count;
            for (int i = 0; i < n; i++) pre.Run(pick.GetImage(i), input.AsSpan(i * len, len));
        }
        else
        {
            var rng = new Random(0);
            for (int i = 0; i < n; i++)
            {
                var canvas = new Canvas([.. Enumerable.Range(0, len).Select(_ => (float)rng.NextDouble())], spec.Channels, spec.Height, spec.Width);
                pre.Run(canvas, input.AsSpan(i * len, len));
            }
        }
        var outputs = classifier.Run(input, n);
        if (outputs.Length != n * classes)
            throw new EdgeException($"{o.Model}: output {outputName} gave {outputs.Length / n} values per image, not the {classes} labels given");
        var kind = OutputKindProbe.Classify(outputs, n, classes, out string evidence);
        return (kind, evidence + (o.Dataset is null ? " on random inputs" : " on dataset images"));
    }

    /// <summary>Makes the graph take NCHW: the input keeps its name with dims permuted, and a Transpose gives the rest
    /// of the graph the NHWC tensor it was built for.</summary>
    private static void ToChannelsFirst(ModelProto model, string inputName)
    {
        var graph = model.Graph;
        string nhwc = inputName + "__nhwc";
        foreach (var node in graph.Node)
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == inputName) node.Input[i] = nhwc;
        foreach (var output in graph.Output)
            if (output.Name == inputName) throw new EdgeException($"input {inputName} is also a graph output; cannot import it channels-first");
        graph.Node.Insert(0, new NodeProto
        {
            OpType = "Transpose", Name = "edge_import_nchw_to_nhwc", Input = { inputName }, Output = { nhwc },
            Attribute = { new AttributeProto { Name = "perm", Type = AttributeProto.Types.AttributeType.Ints, Ints = { 0, 2, 3, 1 } } },
        });
        var value = graph.Input.First(i => i.Name == inputName);
        var shape = value.Type.TensorType.Shape.Dim;
        var (n, h, w, c) = (shape[0].Clone(), shape[1].Clone(), shape[2].Clone(), shape[3].Clone());
        shape.Clear();
        shape.Add([n, c, h, w]);
    }
}
