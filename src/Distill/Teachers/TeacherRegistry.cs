using Edge.Core;
using Edge.Core.Evaluation;
using Edge.Core.Manifest;
using TorchSharp;

namespace Edge.Distill.Teachers;

/// <summary>What opening a teacher may need besides its spec.</summary>
public sealed record TeacherContext
{
    /// <summary>Intermediate features the objective asks of the teacher (ONNX tensor names or module paths).</summary>
    public IReadOnlyList<string> Features { get; init; } = [];
    /// <summary>ONNX Runtime intra-op threads; 0: its default.</summary>
    public int Threads { get; init; }
    /// <summary>Where a TorchSharp teacher runs.</summary>
    public torch.Device? Device { get; init; }
    public RemoteTeacherOptions Remote { get; init; } = new();
}

/// <summary>
/// Teacher kinds by scheme, so a new kind is one entry here and <c>--teacher</c> grows no switch. Every form takes
/// <c>,manifest=PATH</c> (the manifest that says its preprocessing, output kind and labels) after its location:
/// <list type="bullet">
/// <item>a package folder, <c>model.onnx</c> with <c>model.manifest.json</c> (or manifest.json) beside it, or
/// <c>onnx:model.onnx</c>: ONNX Runtime (<see cref="OnnxTeacher"/>);</item>
/// <item><c>torch:runs/x</c> (a distill run: its record gives the spec and labels),
/// <c>torch:file.weights?student=NAME[&amp;config=FILE],manifest=PATH</c>: TorchSharp (<see cref="TorchTeacher"/>);</item>
/// <item><c>grpc://host:port/model[/version],manifest=PATH</c> (also http://, https://): a KServe v2 server (<see cref="RemoteTeacher"/>).</item>
/// </list>
/// </summary>
public static class TeacherRegistry
{
    private sealed record Kind(string Syntax, Func<string, string?, TeacherContext, ITeacher> Open, bool WhiteBox);

    private static readonly IReadOnlyDictionary<string, Kind> Kinds = new Dictionary<string, Kind>(StringComparer.OrdinalIgnoreCase)
    {
        ["onnx"] = new("PACKAGE | model.onnx | onnx:model.onnx", OpenOnnx, WhiteBox: true),
        ["torch"] = new("torch:RUN_FOLDER | torch:FILE.weights?student=NAME[&config=FILE],manifest=PATH",
            (spec, manifest, c) => TorchTeacher.Open(spec, manifest, c.Features, c.Device), WhiteBox: true),
        ["grpc"] = new("grpc://host:port/model[/version],manifest=PATH", Remote, WhiteBox: false),
        ["http"] = new("http://host:port/model[/version],manifest=PATH", Remote, WhiteBox: false),
        ["https"] = new("https://host:port/model[/version],manifest=PATH", Remote, WhiteBox: false),
    };

    public static IReadOnlyList<string> Syntaxes => [.. Kinds.Values.Select(k => k.Syntax).Distinct()];

    /// <summary>Opens the teacher a spec names; a spec without a known scheme is a package or an ONNX file path.</summary>
    public static ITeacher Open(string spec, TeacherContext context)
    {
        var source = ModelSource.Parse(spec);
        var (kind, rest) = Resolve(source.Location);
        if (context.Features.Count > 0 && !kind.WhiteBox)
            throw new EdgeException($"teacher {spec} is a black box (logits only) but the objective needs its features {string.Join(", ", context.Features)}; drop the feature losses or use an onnx or torch: teacher");
        return kind.Open(rest, source.ManifestPath, context);
    }

    private static (Kind Kind, string Spec) Resolve(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) throw new EdgeException("empty teacher: pass --teacher PACKAGE, model.onnx, torch:RUN or grpc://host:port/model,manifest=PATH");
        int colon = spec.IndexOf(':');
        if (colon > 1) // one letter before ':' would be a drive, not a scheme
        {
            string scheme = spec[..colon];
            if (Kinds.TryGetValue(scheme, out var kind))
                return (kind, spec.Contains("://", StringComparison.Ordinal) ? spec : spec[(colon + 1)..]);
            if (spec.AsSpan(colon).StartsWith("://"))
                throw new EdgeException($"unknown teacher scheme '{scheme}' in '{spec}'; known: {string.Join(", ", Syntaxes)}");
        }
        return (Kinds["onnx"], spec);
    }

    private static ITeacher OpenOnnx(string location, string? manifest, TeacherContext c)
    {
        string full = Path.GetFullPath(location);
        if (!File.Exists(full) && !Directory.Exists(full))
            throw new EdgeException($"teacher not found: {full} — pass --teacher with a model package folder or an ONNX classifier with its manifest (the default is models/fmnist-resnet18.onnx)");
        var package = manifest is null ? ModelPackage.TryLoad(full) : ModelPackage.Load(full, manifest);
        if (package is null)
            throw new EdgeException($"teacher {full} has no manifest (expected {ModelPackage.SidecarOf(full)}): Edge needs its preprocessing, output kind and labels; make one with `edge import {location} --out PACKAGE` (see docs/MANIFEST.md)");
        return new OnnxTeacher(package, c.Threads, c.Features);
    }

    private static ITeacher Remote(string address, string? manifest, TeacherContext c) => RemoteTeacher.Connect(address, manifest, c.Remote);
}
