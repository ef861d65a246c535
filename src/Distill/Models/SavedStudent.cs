using System.Text.Json;
using Edge.Core;

namespace Edge.Distill.Models;

/// <summary>
/// Rebuilds a trained student from disk, for a TorchSharp teacher and for fine-tuning (<c>--init</c>):
/// <list type="bullet">
/// <item>an Edge run folder (what <c>edge distill</c> writes: <c>run.json</c> names the registered student,
/// <c>student.json</c> holds its config, <c>student.weights</c> its state dict);</item>
/// <item>a weights file of a registered architecture, with the name given (<c>student</c>) or read from a
/// <c>run.json</c> beside it, and the config from a <c>student.json</c> beside it or the given file, else the preset's.</item>
/// </list>
/// Weights that do not fit the architecture (other names or shapes) are an <see cref="EdgeException"/> naming both.
/// </summary>
public static class SavedStudent
{
    public const string RunFile = "run.json";
    public const string ConfigFile = "student.json";
    public const string WeightsFile = "student.weights";

    /// <param name="location">A run folder or a weights file.</param>
    /// <param name="student">Registered architecture name; null: from run.json.</param>
    /// <param name="configPath">Config JSON laid over the preset; null: student.json beside the weights, if any.</param>
    /// <param name="numClasses">Class count to build with when no config file says it (a preset's default may differ).</param>
    public static StudentModel Load(string location, string? student = null, string? configPath = null, int? numClasses = null)
    {
        string full = Path.GetFullPath(location);
        string folder, weights;
        if (Directory.Exists(full))
        {
            folder = full;
            weights = Path.Combine(full, WeightsFile);
            if (!File.Exists(weights))
                throw new EdgeException($"{location} has no {WeightsFile}: is it an Edge run folder of a finished `edge distill` run?");
        }
        else if (File.Exists(full))
        {
            folder = Path.GetDirectoryName(full)!;
            weights = full;
        }
        else
            throw new EdgeException($"no run folder or weights file at {location}");

        student ??= ReadStudentName(Path.Combine(folder, RunFile))
            ?? throw new EdgeException($"{location}: cannot tell which architecture the weights belong to (no {RunFile} beside them); name it, e.g. torch:{location}?student=tinyvit-quick-32 (known: {string.Join(", ", StudentRegistry.Names)})");
        var preset = StudentRegistry.DefaultConfig(student);
        configPath ??= File.Exists(Path.Combine(folder, ConfigFile)) ? Path.Combine(folder, ConfigFile) : null;
        var config = configPath is not null
            ? StudentRegistry.ConfigFromFile(student, configPath, preset)
            : numClasses is { } n ? preset.WithClasses(n) : preset;

        var model = StudentRegistry.Create(student, config);
        try
        {
            LoadWeightsInto(model, weights);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The weights file of a run folder, or the file itself.</summary>
    public static string WeightsPath(string location) =>
        Directory.Exists(location) ? Path.Combine(location, WeightsFile) : location;

    /// <summary>Loads a state dict saved by <see cref="StudentModel.SaveWeights"/> into <paramref name="model"/>; strict on names and shapes.</summary>
    public static void LoadWeightsInto(StudentModel model, string weights)
    {
        if (!File.Exists(weights)) throw new EdgeException($"weights file {weights} does not exist");
        try
        {
            model.load(weights, strict: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or EndOfStreamException or KeyNotFoundException)
        {
            // TorchSharp reports a foreign state dict as a missing key or a shape mismatch; say which architecture was expected.
            throw new EdgeException($"{weights} does not hold weights of {model.RegistryName} ({model.Config.Summary()}): {e.Message} — it was saved from another architecture or config", e);
        }
    }

    private static string? ReadStudentName(string runJson)
    {
        if (!File.Exists(runJson)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(runJson));
            // A run record ("student": {"preset": NAME, …}), or the older summary ("student": NAME).
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!p.Name.Equals("student", StringComparison.OrdinalIgnoreCase)) continue;
                if (p.Value.ValueKind == JsonValueKind.String) return p.Value.GetString();
                if (p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("preset", out var preset)) return preset.GetString();
            }
            return null;
        }
        catch (JsonException e)
        {
            throw new EdgeException($"{runJson} is not valid JSON: {e.Message}");
        }
    }
}
