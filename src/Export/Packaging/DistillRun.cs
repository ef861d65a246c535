using Edge.Core;
using Edge.Distill.Models;
using Edge.Distill.Training;

namespace Edge.Export.Packaging;

/// <summary>
/// A finished `edge distill` output folder, read back through its record (<see cref="DistillRecord"/>): which student
/// (preset and config), its weights, its own preprocessing and labels, and the run's outcome. Rebuilding the student
/// this way is what lets `edge export` run on its own, with no second look at the teacher.
/// </summary>
public sealed record DistillRun(string Folder, DistillRecord Record, string WeightsPath, StudentConfig Config)
{
    public string Student => Record.Student.Preset;

    public static DistillRun Read(string folder)
    {
        string dir = Path.GetFullPath(folder);
        if (!Directory.Exists(dir))
            throw new EdgeException($"distill run folder not found: {dir} (pass the --out folder of `edge distill`)");
        var record = DistillRecord.Read(dir);
        string weights = Path.Combine(dir, DistillTrainer.WeightsFile);
        if (!File.Exists(weights) || record.Result is null)
            throw new EdgeException($"{dir} is not a finished distill run: {(File.Exists(weights) ? "its record has no outcome" : $"{DistillTrainer.WeightsFile} is missing")} (did `edge distill` complete?)");
        var config = StudentRegistry.ParseConfig(record.Student.Preset, record.Student.Config.GetRawText());
        return new DistillRun(dir, record, weights, config);
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
            throw new EdgeException($"{WeightsPath} does not fit student {Student} with the config in {DistillRecord.PathIn(Folder)}: {e.Message}");
        }
        model.eval();
        return model;
    }
}
