using System.Text.Json;
using Edge.Core;
using Edge.Distill.Models;
using Edge.Distill.Training;

namespace Edge.Export.Packaging;

/// <summary>
/// A finished `edge distill` output folder, read back: which student (registry name + config), its weights,
/// and the run summary. Rebuilding the student this way is what lets `edge export` run on its own.
/// </summary>
public sealed record DistillRun(string Folder, string Student, string WeightsPath, StudentConfig Config, string? Loss, int? Epochs, double? TestTop1)
{
    public static DistillRun Read(string folder)
    {
        string dir = Path.GetFullPath(folder);
        if (!Directory.Exists(dir))
            throw new EdgeException($"distill run folder not found: {dir} (pass the --out folder of `edge distill`)");
        string runFile = Path.Combine(dir, DistillTrainer.RunFile);
        string configFile = Path.Combine(dir, DistillTrainer.ConfigFile);
        string weights = Path.Combine(dir, DistillTrainer.WeightsFile);
        foreach (var f in new[] { runFile, configFile, weights })
            if (!File.Exists(f))
                throw new EdgeException($"{dir} is not a finished distill run: {Path.GetFileName(f)} is missing (did `edge distill` complete?)");
        using var doc = JsonDocument.Parse(File.ReadAllText(runFile));
        var root = doc.RootElement;
        string student = root.TryGetProperty("student", out var s) ? s.GetString()! : throw new EdgeException($"{runFile} names no student");
        var config = StudentRegistry.ConfigFromFile(student, configFile);
        return new DistillRun(dir, student, weights, config,
            root.TryGetProperty("loss", out var l) ? l.GetString() : null,
            root.TryGetProperty("epochs", out var e) ? e.GetInt32() : null,
            root.TryGetProperty("test_top1", out var t) ? t.GetDouble() : null);
    }

    public StudentModel LoadModel()
    {
        var model = StudentRegistry.Create(Student, Config);
        try
        {
            model.LoadWeights(WeightsPath);
        }
        catch (Exception e) when (e is not EdgeException)
        {
            model.Dispose();
            throw new EdgeException($"{WeightsPath} does not fit student {Student} with {Path.Combine(Folder, DistillTrainer.ConfigFile)}: {e.Message}");
        }
        model.eval();
        return model;
    }
}
