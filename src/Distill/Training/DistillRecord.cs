using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Core;
using Edge.Core.IO;
using Edge.Core.Preprocessing;
using Edge.Distill.Teachers;

namespace Edge.Distill.Training;

/// <summary>The student of a run: registry preset, its full config (as the preset's JSON, laid over the preset to
/// rebuild it), its own preprocessing, and its parameter count.</summary>
public sealed record StudentRecord(string Preset, JsonElement Config, PreprocessSpec Preprocess, long Parameters);

/// <summary>What a finished run measured.</summary>
public sealed record DistillOutcome(double TestTop1, double TeacherAgreement, double TeacherTop1OnAgreementSet, double TrainImagesPerSecond,
    double TeacherSeconds, double TotalSeconds, string TeacherMode, int Epochs, string WeightsSha256, string DataPath);

/// <summary>
/// A distill run describing itself: the resolved options (with both preprocessing specs, the losses with their
/// parameters, the augmentation, the student config and every teacher with its hash), written atomically into the run
/// folder as <c>run.json</c> before training starts and again, with the outcome, when it ends. The resume fingerprint
/// is a hash of this record without its runtime settings (<see cref="DistillOptions.WithoutRuntimeSettings"/>), and
/// export, a torch: teacher and the package read the student's spec and labels from here.
/// </summary>
public sealed record DistillRecord
{
    public const string FileName = "run.json";
    public const string CurrentFormat = "edge-distill-run/1";

    public string Format { get; init; } = CurrentFormat;
    public required DistillOptions Options { get; init; }
    public required StudentRecord Student { get; init; }
    public required IReadOnlyList<TeacherCard> Teachers { get; init; }
    /// <summary>The student's class labels: the teacher's, in the teacher's order.</summary>
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>The objective as it prints (<c>1*kd + 0.5*ce</c>).</summary>
    public required string Objective { get; init; }
    public string Fingerprint { get; init; } = "";
    public DistillOutcome? Result { get; init; }

    /// <summary>SHA-256 of the record's canonical JSON without runtime settings, fingerprint and outcome.</summary>
    public string ComputeFingerprint()
    {
        var canonical = this with { Options = Options.WithoutRuntimeSettings(), Fingerprint = "", Result = null };
        return FileHash.Sha256(JsonSerializer.SerializeToUtf8Bytes(canonical, Compact));
    }

    public DistillRecord Sealed() => this with { Fingerprint = ComputeFingerprint() };

    /// <summary>The JSON paths (<c>options.learning_rate</c>, <c>student.preprocess.mean</c>…) in which the computed
    /// parts of two records differ: what a refused resume names.</summary>
    public IReadOnlyList<string> Differences(DistillRecord other)
    {
        JsonNode? Canonical(DistillRecord r) => JsonSerializer.SerializeToNode(r with { Options = r.Options.WithoutRuntimeSettings(), Fingerprint = "", Result = null }, JsonFiles.Options);
        var paths = new List<string>();
        Compare(Canonical(this), Canonical(other), "", paths);
        return paths;
    }

    private static void Compare(JsonNode? a, JsonNode? b, string path, List<string> paths)
    {
        if (a is JsonObject oa && b is JsonObject ob)
        {
            foreach (var key in oa.Select(p => p.Key).Union(ob.Select(p => p.Key)))
                Compare(oa[key], ob[key], path.Length == 0 ? key : $"{path}.{key}", paths);
            return;
        }
        if (!JsonNode.DeepEquals(a, b)) paths.Add(path);
    }

    public void Write(string folder) => JsonFiles.Write(Path.Combine(folder, FileName), this);

    public static string PathIn(string folder) => Path.Combine(folder, FileName);

    /// <summary>Reads a run's record; a run folder from before records existed is named as such.</summary>
    public static DistillRecord Read(string folder)
    {
        string file = PathIn(Path.GetFullPath(folder));
        if (!File.Exists(file))
            throw new EdgeException($"{folder} has no {FileName}: is it the --out folder of a started `edge distill` run?");
        var node = JsonNode.Parse(File.ReadAllText(file)) as JsonObject
                   ?? throw new EdgeException($"{file} is not a JSON object");
        if (node["format"]?.GetValue<string>() != CurrentFormat)
            throw new EdgeException($"{file} is not a run record of this Edge ({CurrentFormat}); it was written by an older version — distill again to get one");
        return JsonFiles.Read<DistillRecord>(file);
    }

    private static readonly JsonSerializerOptions Compact = new(JsonFiles.Options) { WriteIndented = false };
}
