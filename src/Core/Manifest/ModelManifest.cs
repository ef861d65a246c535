using Edge.Core.Preprocessing;

namespace Edge.Core.Manifest;

/// <summary>
/// The JSON manifest that travels with every ONNX file Edge produces or consumes (a "model package"):
/// what the model expects, how to preprocess for it, where it came from and how it was checked.
/// Sections are filled in by the stage that knows them (distill, export, quantize, gate); absent ones are null.
/// </summary>
public sealed record ModelManifest
{
    public const string CurrentFormat = "edge-model/1";

    public string Format { get; init; } = CurrentFormat;
    public required string Name { get; init; }
    public string ModelFile { get; init; } = "model.onnx";
    /// <summary>fp32, int8 or fp16.</summary>
    public string Precision { get; init; } = "fp32";
    public required IReadOnlyList<string> Labels { get; init; }
    public required TensorSpec Input { get; init; }
    public required OutputSpec Output { get; init; }
    public required PreprocessSpec Preprocess { get; init; }
    public string? ModelSha256 { get; init; }
    public TeacherInfo? Teacher { get; init; }
    public StudentInfo? Student { get; init; }
    public ParityInfo? Parity { get; init; }
    public QuantizationInfo? Quantization { get; init; }
    public IReadOnlyList<GateResult>? Gate { get; init; }
    public string? CreatedUtc { get; init; }
    public string? Producer { get; init; }

    public void Validate(string source)
    {
        if (Format != CurrentFormat)
            throw new EdgeException($"{source}: unsupported manifest format '{Format}' (this Edge reads {CurrentFormat})");
        if (Labels.Count == 0)
            throw new EdgeException($"{source}: manifest has no labels");
        if (Input.Shape.Length != 4)
            throw new EdgeException($"{source}: input shape must be [batch, channels, height, width], got [{string.Join(", ", Input.Shape)}]");
        Preprocess.Validate();
        if (Input.Shape[1] != Preprocess.Channels || Input.Shape[2] != Preprocess.Height || Input.Shape[3] != Preprocess.Width)
            throw new EdgeException($"{source}: input shape [{string.Join(", ", Input.Shape)}] does not match preprocess {Preprocess}");
    }
}

/// <summary>Name, shape (−1 for the dynamic batch) and element type of a model input.</summary>
public sealed record TensorSpec(string Name, long[] Shape, string Dtype = "float32");

/// <summary>Name, shape [batch, classes], element type and <see cref="OutputKind"/> of a classifier's output.</summary>
public sealed record OutputSpec(string Name, long[] Shape, string Dtype = "float32", OutputKind Kind = OutputKind.Logits);

/// <summary>The teacher a model was distilled from, by name and hash (never a path of the machine that made it);
/// for an ensemble the members' names joined by "+" and a hash over all of them.</summary>
public sealed record TeacherInfo(string File, string Sha256, double? Top1 = null);

/// <summary>How a student was made, as provenance that travels: its preset, size, the hash of the weights it was
/// exported from and the fingerprint of the distill run's record (run.json), with the run's headline figures.</summary>
public sealed record StudentInfo(string Architecture, long Parameters, string? WeightsSha256 = null, string? RunFingerprint = null,
    int? Epochs = null, string? Loss = null, double? Top1 = null);

public sealed record ParityInfo(double MaxAbsDiff, double MeanAbsDiff, double Top1Agreement, int Samples, string Reference);

public sealed record QuantizationInfo(string Method, string Format, string? Calibration, int CalibrationSamples,
    IReadOnlyList<string> KeptInFloat, int QuantizedNodes, string? SourceSha256 = null, QuantizationCheck? Check = null);

/// <summary>
/// What the quantizer measured before writing an INT8 package: held-out top-1 of both models, the speed-up over fp32
/// at each guaranteed batch size, whether every bar was met, and the override that let a missed bar through.
/// </summary>
public sealed record QuantizationCheck(double Fp32Top1, double Int8Top1, int Samples, IReadOnlyList<int> BatchSizes,
    IReadOnlyList<double> Speedups, bool Passed, string? Override = null);

/// <summary>One gate rule's outcome, as recorded in the package that passed (or failed) it.</summary>
public sealed record GateResult(string Rule, bool Passed, double Value, double Threshold, string Detail);
