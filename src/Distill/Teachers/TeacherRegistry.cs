using Edge.Core;
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
/// Teacher kinds by scheme, so a new kind is one entry here and <c>--teacher</c> grows no switch:
/// <list type="bullet">
/// <item><c>model.onnx</c> or <c>onnx:model.onnx</c>: ONNX Runtime (<see cref="OnnxTeacher"/>);</item>
/// <item><c>torch:runs/x</c>, <c>torch:file.weights?student=NAME[&amp;config=FILE]</c>: TorchSharp (<see cref="TorchTeacher"/>);</item>
/// <item><c>grpc://host:port/model[/version]</c> (also http://, https://): a KServe v2 server (<see cref="RemoteTeacher"/>).</item>
/// </list>
/// </summary>
public static class TeacherRegistry
{
    private sealed record Kind(string Syntax, Func<string, TeacherContext, ITeacher> Open, Func<string, string> Identity, bool WhiteBox);

    private static readonly IReadOnlyDictionary<string, Kind> Kinds = new Dictionary<string, Kind>(StringComparer.OrdinalIgnoreCase)
    {
        ["onnx"] = new("model.onnx | onnx:model.onnx", (path, c) => new OnnxTeacher(path, c.Threads, c.Features), FileIdentity, WhiteBox: true),
        ["torch"] = new("torch:RUN_FOLDER | torch:FILE.weights?student=NAME[&config=FILE]",
            (spec, c) => TorchTeacher.Open(spec, c.Features, c.Device), TorchIdentity, WhiteBox: true),
        ["grpc"] = new("grpc://host:port/model[/version]", Remote, spec => spec, WhiteBox: false),
        ["http"] = new("http://host:port/model[/version]", Remote, spec => spec, WhiteBox: false),
        ["https"] = new("https://host:port/model[/version]", Remote, spec => spec, WhiteBox: false),
    };

    public static IReadOnlyList<string> Syntaxes => [.. Kinds.Values.Select(k => k.Syntax).Distinct()];

    /// <summary>Opens the teacher a spec names; a spec without a known scheme is an ONNX file path.</summary>
    public static ITeacher Open(string spec, TeacherContext context)
    {
        var (kind, rest) = Resolve(spec);
        if (context.Features.Count > 0 && !kind.WhiteBox)
            throw new EdgeException($"teacher {spec} is a black box (logits only) but the objective needs its features {string.Join(", ", context.Features)}; drop the feature losses or use an onnx or torch: teacher");
        return kind.Open(rest, context);
    }

    /// <summary>A string that changes when the teacher's outputs may change (file size and time, or the address):
    /// part of the key under which its logits are cached in a run folder.</summary>
    public static string Identity(string spec)
    {
        var (kind, rest) = Resolve(spec);
        return kind.Identity(rest);
    }

    private static (Kind Kind, string Spec) Resolve(string spec)
    {
        if (string.IsNullOrWhiteSpace(spec)) throw new EdgeException("empty teacher: pass --teacher model.onnx, torch:RUN or grpc://host:port/model");
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

    private static ITeacher Remote(string address, TeacherContext c) => RemoteTeacher.Connect(address, c.Remote);

    private static string FileIdentity(string path) =>
        File.Exists(path) ? $"{Path.GetFileName(path)}:{new FileInfo(path).Length}:{File.GetLastWriteTimeUtc(path).Ticks}" : path;

    private static string TorchIdentity(string spec)
    {
        string location = TorchTeacher.SplitQuery(spec).Location;
        string weights = Directory.Exists(location) ? Path.Combine(location, Models.SavedStudent.WeightsFile) : location;
        return $"torch:{spec}:{FileIdentity(weights)}";
    }
}
