using Edge.Core.Data;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;

namespace Edge.Core.Import;

/// <summary>How the model's image input is laid out: channels first (PyTorch, most exporters) or last (Keras via tf2onnx).</summary>
public enum InputLayout { Auto, Nchw, Nhwc }

/// <summary>
/// What <c>edge import</c> needs beyond the ONNX file: labels (a file, a list, or a dataset's class names), the
/// preprocessing the model was trained with (every field optional where the graph says it: size and channels), and,
/// rarely, which input/output to use or what the output holds when neither the graph nor a probe can tell.
/// </summary>
public sealed record ImportOptions
{
    public required string Model { get; init; }
    public required string OutputDir { get; init; }
    public string? Name { get; init; }
    /// <summary>A labels file or comma-separated names, in the model's output order.</summary>
    public string? Labels { get; init; }
    /// <summary>Labels from this dataset's class names (and real images for the output-kind probe).</summary>
    public DatasetSource? Dataset { get; init; }
    public int? Size { get; init; }
    public int? Height { get; init; }
    public int? Width { get; init; }
    public int? Channels { get; init; }
    public ColorMode? Color { get; init; }
    public ResizeMethod? Resize { get; init; }
    public float? CropFraction { get; init; }
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
    /// <summary>Null: detected (a trailing Softmax/LogSoftmax in the graph, else a probe of the outputs).</summary>
    public OutputKind? OutputKind { get; init; }
    public string? Input { get; init; }
    public string? Output { get; init; }
    public InputLayout Layout { get; init; } = InputLayout.Auto;
    /// <summary>Images (or random inputs) run through the model to tell logits from probabilities.</summary>
    public int ProbeSamples { get; init; } = 32;
}

/// <summary>What an import did, for the command's report.</summary>
public sealed record ImportResult(ModelPackage Package, string OutputKindEvidence, bool Transposed, IReadOnlyList<string> Notes);
