using Edge.Core.IO;

namespace Edge.Core.Gate;

/// <summary>A previous gate.json and the candidate in it that new candidates are compared with.</summary>
public sealed record BaselineReference(string Path, string Sha256, GateReport Report, ModelReport Model)
{
    /// <summary>
    /// Loads a baseline and checks that it belongs to this run: same evaluation set (dataset hash), same teacher
    /// (model hash) and same classes. Anything else is an input error, not a regression.
    /// </summary>
    public static BaselineReference Load(string path, string? modelName, string datasetSha256, string? teacherSha256, IReadOnlyList<string> classes)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full)) full = System.IO.Path.Combine(full, GateReportWriter.JsonFileName);
        var report = GateJson.Read(full);
        if (report.Format != GateReport.CurrentFormat)
            throw new EdgeException($"{full}: unsupported gate report format '{report.Format}' (this Edge reads {GateReport.CurrentFormat})");
        if (!string.Equals(report.EvalSet.DatasetSha256, datasetSha256, StringComparison.OrdinalIgnoreCase))
            throw new EdgeException($"baseline {full} was measured on another evaluation set ({report.EvalSet.Description}, dataset sha256 {Short(report.EvalSet.DatasetSha256)}; this run's is {Short(datasetSha256)}): gate against a baseline made on the same dataset");
        if (teacherSha256 is not null && report.Teacher.Sha256 is { } baseTeacher && !string.Equals(baseTeacher, teacherSha256, StringComparison.OrdinalIgnoreCase))
            throw new EdgeException($"baseline {full} was gated against another teacher ({report.Teacher.Name}, sha256 {Short(baseTeacher)}; this run's teacher is {Short(teacherSha256)}): it belongs to another model");
        if (!report.EvalSet.Classes.SequenceEqual(classes, StringComparer.OrdinalIgnoreCase))
            throw new EdgeException($"baseline {full} has classes [{string.Join(", ", report.EvalSet.Classes)}], this run [{string.Join(", ", classes)}]: it belongs to another model");
        if (report.Candidates.Count == 0)
            throw new EdgeException($"baseline {full} holds no candidate to compare with");
        ModelReport model = modelName is null
            ? report.Candidates[0]
            : report.Candidates.FirstOrDefault(c => c.Name == modelName)
              ?? throw new EdgeException($"baseline {full} has no candidate named '{modelName}' (it has: {string.Join(", ", report.Candidates.Select(c => c.Name))})");
        return new BaselineReference(full, FileHash.Sha256(full), report, model);
    }

    public BaselineInfo Info() => new(Path, Sha256, Model.Name, Model.Sha256, Model.Top1?.Estimate, Model.Agreement.Estimate, Report.CreatedUtc);

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] + "…" : hash;
}
