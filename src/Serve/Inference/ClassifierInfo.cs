using Edge.Core;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Serve.Tensors;

namespace Edge.Serve.Inference;

/// <summary>
/// What an Edge manifest adds to a served model: it is an image classifier, with labels, the preprocessing that
/// turns an encoded image into its FP32 input (the one shared <see cref="Preprocessor"/>), and what its output means
/// (<see cref="OutputKind"/>). A model folder without a manifest has none of this and is served as a plain tensor model.
/// </summary>
public sealed class ClassifierInfo
{
    private ClassifierInfo(ModelManifest manifest, TensorInfo input, TensorInfo output)
    {
        Manifest = manifest;
        Input = input;
        Output = output;
        Preprocessor = new Preprocessor(manifest.Preprocess);
    }

    public ModelManifest Manifest { get; }
    public TensorInfo Input { get; }
    public TensorInfo Output { get; }
    public Preprocessor Preprocessor { get; }
    public IReadOnlyList<string> Labels => Manifest.Labels;
    public OutputKind OutputKind => Manifest.Output.Kind;
    public int NumClasses => Labels.Count;
    public int SampleLength => Manifest.Preprocess.Channels * Manifest.Preprocess.Height * Manifest.Preprocess.Width;

    /// <summary>Checks the session against the manifest: one FP32 image input of the preprocessed size, an output with one score per label.</summary>
    public static ClassifierInfo Bind(ModelManifest manifest, TensorSession session, string source)
    {
        var input = session.Inputs.FirstOrDefault(i => i.Name == manifest.Input.Name)
                    ?? (session.Inputs.Count == 1 ? session.Inputs[0] : throw new EdgeException($"{source}: the manifest's input '{manifest.Input.Name}' is not an input of {session.ModelPath} ({string.Join(", ", session.Inputs.Select(i => i.Name))})"));
        if (session.Inputs.Count != 1)
            throw new EdgeException($"{source}: an image classifier takes one input; {session.ModelPath} has {session.Inputs.Count} ({string.Join(", ", session.Inputs.Select(i => i.Name))})");
        if (input.DataType != TensorDataTypes.Fp32)
            throw new EdgeException($"{source}: image input '{input.Name}' is {input.DataType}; preprocessing produces FP32");
        var pre = manifest.Preprocess;
        long[] want = [pre.Channels, pre.Height, pre.Width];
        if (input.Shape.Length != 4 || Enumerable.Range(0, 3).Any(i => input.Shape[i + 1] > 0 && input.Shape[i + 1] != want[i]))
            throw new EdgeException($"{session.ModelPath} takes input {Text.Shape(input.Shape)} but {source} preprocessing produces [{pre.Channels}, {pre.Height}, {pre.Width}]; fix the preprocessing (size/channels) or use a model for this data");
        var output = session.Outputs.FirstOrDefault(o => o.Name == manifest.Output.Name) ?? session.Outputs[0];
        if (output.DataType != TensorDataTypes.Fp32)
            throw new EdgeException($"{source}: output '{output.Name}' is {output.DataType}; a classifier answers FP32 scores");
        long classes = output.Shape.Length > 0 ? output.Shape[^1] : -1;
        if (classes > 0 && classes != manifest.Labels.Count)
            throw new EdgeException($"{session.ModelPath} has {classes} outputs but {source} lists {manifest.Labels.Count} labels");
        return new ClassifierInfo(manifest, input, output);
    }
}
