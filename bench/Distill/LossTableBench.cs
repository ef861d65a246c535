using System.Globalization;
using System.Text;
using Edge.Core.IO;
using Edge.Distill.Training;

namespace Edge.Bench.Distill;

/// <summary>
/// <c>losses</c>: one distillation run per (objective, seed) at the same budget (the <c>recipe</c> options), written as
/// <c>losses.json</c> (<see cref="LossComparison"/>), <c>losses.csv</c> and the chart <c>losses.png</c>. Each run keeps its
/// folder under <c>--out</c>; a run whose <c>run.json</c> exists is read back instead of trained again, so a long table
/// resumes where it stopped. <c>plot</c> redraws the chart from a <c>losses.json</c>.
/// </summary>
public static class LossTableBench
{
    public static int Run(Args a)
    {
        string outDir = Path.GetFullPath(a.Text("--out", "runs/loss-table"));
        string[] objectives = a.Text("--losses", "ce=1;kd=1,ce=0.5;dkd=1,ce=1;ls-kd=9,ce=1;rcka=1,ce=1")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int[] seeds = [.. a.Text("--seeds", "0,1").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        var probe = RecipeBench.Options(a, outDir, 0, "ce=1");
        a.RequireAllRead();
        string budget = $"{probe.Student}, {probe.Epochs} epoch{(probe.Epochs == 1 ? "" : "s")}, {(probe.TrainSamples is { } n ? $"{n:N0}" : "all")} training images, teacher targets on {(probe.TeacherSamples is { } t ? $"{t:N0}" : "all")}";
        Console.WriteLine($"losses: {objectives.Length} objectives x {seeds.Length} seeds; {budget}; load {Paths.Load()}");
        var rows = new List<LossComparisonRow>();
        for (int i = 0; i < objectives.Length; i++)
        {
            var top1 = new List<double>();
            var agreement = new List<double>();
            foreach (int seed in seeds)
            {
                string dir = Path.Combine(outDir, $"{i:00}-{Safe(objectives[i])}-seed{seed}");
                var (t1, ag) = RunOne(a, objectives[i], dir, seed);
                Console.WriteLine($"  {objectives[i]} seed {seed}: top-1 {t1:P2}, agreement {ag:P2}  ({dir})");
                top1.Add(t1);
                agreement.Add(ag);
            }
            rows.Add(new LossComparisonRow(objectives[i], seeds, top1, agreement));
        }
        var table = new LossComparison("Losses on Fashion-MNIST", budget, rows);
        Directory.CreateDirectory(outDir);
        table.Write(Path.Combine(outDir, "losses.json"));
        AtomicFile.WriteAllText(Path.Combine(outDir, "losses.csv"), Csv(table));
        LossComparisonChart.Write(Path.Combine(outDir, "losses.png"), table);
        Console.WriteLine($"wrote losses.json, losses.csv, losses.png in {outDir}; load {Paths.Load()}");
        Console.Write(Csv(table));
        return 0;
    }

    public static int Plot(string json, string? png)
    {
        var table = LossComparison.Read(json);
        string path = png ?? Path.ChangeExtension(json, ".png");
        LossComparisonChart.Write(path, table);
        Console.WriteLine($"wrote {path}");
        return 0;
    }

    private static (double Top1, double Agreement) RunOne(Args a, string objective, string dir, int seed)
    {
        string summary = Path.Combine(dir, DistillTrainer.RunFile);
        if (File.Exists(summary))
        {
            var done = JsonFiles.Read<RunSummaryHead>(summary);
            return (done.TestTop1, done.TeacherAgreement);
        }
        var options = RecipeBench.Options(a, dir, seed, objective);
        using var result = DistillTrainer.Run(options, new LineProgress());
        return (result.TestTop1, result.TeacherAgreement);
    }

    /// <summary>The two fields of the trainer's run.json this table reads.</summary>
    private sealed record RunSummaryHead(double TestTop1, double TeacherAgreement);

    private static string Csv(LossComparison table)
    {
        var sb = new StringBuilder("loss,seeds,top1_mean,top1_min,top1_max,agreement_mean,agreement_min,agreement_max\n");
        foreach (var r in table.Rows)
        {
            var (tm, tl, th) = LossComparisonRow.Summary(r.TestTop1);
            var (am, al, ah) = LossComparisonRow.Summary(r.Agreement);
            sb.Append(CultureInfo.InvariantCulture, $"\"{r.Loss}\",{string.Join(" ", r.Seeds)},{tm * 100:F2},{tl * 100:F2},{th * 100:F2},{am * 100:F2},{al * 100:F2},{ah * 100:F2}\n");
        }
        return sb.ToString();
    }

    private static string Safe(string objective) => new([.. objective.Select(c => char.IsLetterOrDigit(c) || c is '-' or '.' ? c : '_')]);
}
