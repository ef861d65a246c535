using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Edge.Core.IO;

namespace Edge.Core.Gate;

/// <summary>
/// Writes a gate run's artifacts into one folder, each atomically: gate.json (the next run's baseline),
/// junit.xml (one test case per rule and candidate), report.md (a CI job summary) and its PNG figures.
/// </summary>
public static class GateReportWriter
{
    public const string JsonFileName = "gate.json";
    public const string JUnitFileName = "junit.xml";
    public const string MarkdownFileName = "report.md";

    /// <summary>Writes everything and returns the paths written.</summary>
    public static IReadOnlyList<string> Write(GateReport report, string folder)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        void Save(string name, byte[] bytes)
        {
            string path = Path.Combine(folder, name);
            AtomicFile.WriteAllBytes(path, bytes);
            written.Add(path);
        }

        var figures = new List<(string Title, string File)>();
        var models = new[] { report.Teacher }.Concat(report.Candidates).ToArray();
        var classes = report.EvalSet.Classes;
        if (report.EvalSet.Labeled)
        {
            Save("per-class.png", GatePlots.PerClass(models, classes));
            figures.Add(("Per-class accuracy", "per-class.png"));
            foreach (var model in models)
            {
                string file = $"confusion-{FileSafe(model.Name)}.png";
                Save(file, GatePlots.Confusion(model, classes));
                figures.Add(($"Confusion matrix: {model.Name}", file));
            }
        }
        Save("reliability.png", GatePlots.Reliability(models));
        figures.Add(("Reliability diagram", "reliability.png"));

        Save(JUnitFileName, Encoding.UTF8.GetBytes(JUnit(report)));
        Save(MarkdownFileName, Encoding.UTF8.GetBytes(Markdown(report, figures)));
        // Last, so a folder with gate.json is a complete run.
        Save(JsonFileName, Encoding.UTF8.GetBytes(GateJson.Serialize(report)));
        return written;
    }

    public static string JUnit(GateReport report)
    {
        var cases = report.Rules.Select(r =>
        {
            var testCase = new XElement("testcase",
                new XAttribute("classname", $"edge.gate.{r.Model}"),
                new XAttribute("name", r.Rule),
                new XAttribute("time", "0"));
            if (r.Status == RuleStatus.Fail)
                testCase.Add(new XElement("failure", new XAttribute("message", $"{r.Rule} failed for {r.Model}: {r.Detail}"), new XAttribute("type", r.Rule), r.Detail));
            else if (r.Status == RuleStatus.Skip)
                testCase.Add(new XElement("skipped", new XAttribute("message", r.Detail)));
            testCase.Add(new XElement("system-out", r.Detail));
            return testCase;
        }).ToArray();
        int failures = report.Rules.Count(r => r.Status == RuleStatus.Fail), skipped = report.Rules.Count(r => r.Status == RuleStatus.Skip);
        string time = (report.ElapsedSeconds ?? 0).ToString("0.###", CultureInfo.InvariantCulture);
        var suite = new XElement("testsuite",
            new XAttribute("name", "edge-gate"),
            new XAttribute("tests", cases.Length),
            new XAttribute("failures", failures),
            new XAttribute("errors", 0),
            new XAttribute("skipped", skipped),
            new XAttribute("time", time),
            new XAttribute("timestamp", report.CreatedUtc),
            cases);
        var root = new XElement("testsuites",
            new XAttribute("name", "edge gate"),
            new XAttribute("tests", cases.Length),
            new XAttribute("failures", failures),
            new XAttribute("errors", 0),
            new XAttribute("skipped", skipped),
            new XAttribute("time", time),
            suite);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root + "\n";
    }

    public static string Markdown(GateReport report, IReadOnlyList<(string Title, string File)>? figures = null)
    {
        var md = new StringBuilder();
        var set = report.EvalSet;
        var t = report.Thresholds;
        string Pct(Metrics.ConfidenceInterval? ci) => ci is null ? "–" : $"{ci.Estimate:0.00} [{ci.Lower:0.00}, {ci.Upper:0.00}]";
        var failed = report.Failures().ToArray();
        md.AppendLine(report.Passed ? "# Edge gate: PASSED ✅" : "# Edge gate: FAILED ❌").AppendLine();
        if (!report.Passed)
        {
            md.AppendLine("Failing rules:").AppendLine();
            foreach (var f in failed) md.AppendLine($"- **{f.Rule}** ({f.Model}): {Escape(f.Detail)}");
            md.AppendLine();
        }
        md.AppendLine($"Teacher **{report.Teacher.Name}** (`{Short(report.Teacher.Sha256)}`) on {Escape(set.Description)}: {set.Count:N0} of {set.BaseCount:N0} images, "
                      + $"{(set.Labeled ? "labeled" : "unlabeled (compared with the teacher only)")}, dataset sha256 `{Short(set.DatasetSha256)}`. "
                      + $"Confidence {t.Confidence:P0}, {report.BootstrapResamples} bootstrap resamples (seed {report.Seed})"
                      + (report.Baseline is { } b ? $", baseline **{b.Model}** from `{Escape(b.Path)}` ({b.CreatedUtc})" : ", no baseline")
                      + (report.ElapsedSeconds is { } s ? $"; {s:0.0} s." : "."));
        md.AppendLine();

        md.AppendLine("## Rules").AppendLine();
        md.AppendLine("| candidate | rule | result | value | tolerance | hard limit | bound | detail |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var r in report.Rules)
        {
            string status = r.Status switch { RuleStatus.Pass => "✅ pass", RuleStatus.Fail => "❌ **FAIL**", _ => "➖ skip" };
            md.AppendLine($"| {Escape(r.Model)} | `{r.Rule}` | {status} | {Num(r.Value)} | {Num(r.Threshold)} | {Num(r.HardLimit)} | {(r.Bound is { } bd ? Num(bd) : "–")} | {Escape(r.Detail)} |");
        }
        md.AppendLine();

        md.AppendLine("## Metrics").AppendLine();
        md.AppendLine($"Accuracy and agreement in %, with {t.Confidence:P0} bootstrap intervals; drops in points (positive = worse than the reference).").AppendLine();
        md.AppendLine("| model | precision | top-1 | top-5 | agreement | drop vs teacher | drop vs baseline | KL(teacher‖model) | ECE % | p50 ms | p95 ms | img/s |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var m in new[] { report.Teacher }.Concat(report.Candidates))
        {
            string vsT = m.VsTeacher is { } vt ? $"{Pct(vt.Drop)}{(vt.McNemar is { } mc ? $", McNemar p={mc.PTwoSided:0.###}" : "")}" : "–";
            string vsB = m.VsBaseline is { } vb ? $"{Pct(vb.Drop)}{(vb.Paired ? "" : " (unpaired)")}" : "–";
            md.AppendLine($"| {Escape(m.Name)} | {m.Precision} | {Pct(m.Top1)} | {Pct(m.Top5)} | {Pct(m.Agreement)} | {vsT} | {vsB} | {m.MeanKl:0.0000} | {m.Ece:0.00} | {Num(m.Latency.P50Ms)} | {Num(m.Latency.P95Ms)} | {Num(m.ImagesPerSecond, "0")} |");
        }
        md.AppendLine();

        var all = new[] { report.Teacher }.Concat(report.Candidates).ToArray();
        if (set.Labeled)
        {
            md.AppendLine("## Per-class accuracy (%)").AppendLine();
            md.AppendLine("| class | images | " + string.Join(" | ", all.Select(m => Escape(m.Name))) + " |");
            md.AppendLine("| --- | --- | " + string.Join(" | ", all.Select(_ => "---")) + " |");
            for (int c = 0; c < set.Classes.Count; c++)
                md.AppendLine($"| {Escape(set.Classes[c])} | {set.ClassSupport?[c]} | " + string.Join(" | ", all.Select(m => Num(m.PerClassAccuracy![c]))) + " |");
            md.AppendLine();
        }

        if (figures is { Count: > 0 })
        {
            md.AppendLine("## Figures").AppendLine();
            foreach (var (title, file) in figures) md.AppendLine($"![{Escape(title)}]({file})").AppendLine();
        }

        md.AppendLine("## How the rules decide").AppendLine();
        md.AppendLine("A rule fails only when the degradation is significant at the chosen confidence or exceeds its hard limit: "
                      + "drops are paired per image (same images for both models) and resampled with a seeded bootstrap; "
                      + "the one-sided bound at the confidence must clear the tolerance, so sampling noise on a small evaluation set "
                      + "cannot fail a good candidate, while the hard limit catches large drops whatever the sample size.").AppendLine();
        foreach (var rule in GateRuleRegistry.All)
            md.AppendLine($"- `{rule.Name}`: {rule.Semantics(t)}.");
        md.AppendLine();

        var notes = all.SelectMany(m => m.Notes.Select(n => $"{m.Name}: {n}")).ToArray();
        if (notes.Length > 0)
        {
            md.AppendLine("## Notes").AppendLine();
            foreach (var n in notes) md.AppendLine($"- {Escape(n)}");
            md.AppendLine();
        }
        return md.ToString();
    }

    public static string FileSafe(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray();
        return new string(chars);
    }

    private static string Num(double v, string format = "0.00") => double.IsNaN(v) ? "–" : v.ToString(format, CultureInfo.InvariantCulture);

    private static string Short(string? hash) => hash is null ? "n/a" : hash.Length > 12 ? hash[..12] : hash;

    private static string Escape(string text) => text.Replace("|", "\\|").Replace("\n", " ");
}
