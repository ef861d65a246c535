using System.Diagnostics;
using Edge.Distill.Losses;
using Edge.Distill.Training;

namespace Edge.Bench.Distill;

/// <summary>
/// <c>recipe</c>: the quickstart's distill step on the full Fashion-MNIST, timed, with each epoch's loss, top-1,
/// agreement and throughput (what tests/Distill.Tests/Training/QuickstartRecipeBench measured behind EDGE_BENCH=1).
/// </summary>
public static class RecipeBench
{
    /// <summary>The run's options from the flags; <paramref name="loss"/> replaces <c>--loss</c> (the loss table's objectives).</summary>
    public static DistillOptions Options(Args a, string outDir, int seed, string? loss = null) => new()
    {
        OutputDir = outDir,
        Student = a.Text("--student", "tinyvit-quick-32"),
        Teachers = [a.Text("--teacher", Path.Combine(Paths.Root, DistillOptions.DefaultTeacher))],
        Dataset = a.Text("--data", "fashion-mnist"),
        Epochs = a.Int("--epochs", 2),
        BatchSize = a.Int("--batch", 128),
        LearningRate = a.Double("--lr", 2e-3),
        TeacherSamples = a.Int("--teacher-samples", 15000) is var t && t > 0 ? t : null,
        TrainSamples = a.Int("--train-samples", 0) is var n && n > 0 ? n : null,
        Threads = a.Int("--threads", 0),
        Seed = seed,
        Loss = LossWeight.ParseList(loss ?? a.Text("--loss", "kd=1,ce=0.5")),
        LossOptions = new LossOptions
        {
            Temperature = a.Double("--temperature", 4.0),
            FeaturePairs = a.Optional("--feature") is { } f
                ? [.. f.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(kv => new FeaturePair(kv[0], kv[^1]))]
                : [],
        },
        TeacherMode = a.Optional("--feature") is null ? TeacherMode.Cached : TeacherMode.Online,
        Resume = a.Text("--resume", "0") == "1",
    };

    public static int Run(Args a)
    {
        string dir = a.Text("--out", Path.Combine(Path.GetTempPath(), "edge-quickstart-bench"));
        var options = Options(a, dir, a.Int("--seed", 0));
        a.RequireAllRead();
        Console.WriteLine($"recipe: {options.Student}, {options.Epochs} epochs, batch {options.BatchSize}, loss {string.Join(",", options.Loss.Select(l => $"{l.Name}={l.Weight}"))}, teacher samples {options.TeacherSamples?.ToString() ?? "all"}; load {Paths.Load()}");
        var clock = Stopwatch.StartNew();
        using var result = DistillTrainer.Run(options, new LineProgress());
        foreach (var m in result.Epochs)
            Console.WriteLine($"epoch {m.Epoch}: loss {m.TrainLoss:F4} top1 {m.TestTop1:P2} agree {m.TeacherAgreement:P2} {m.TrainImagesPerSecond:F0} img/s {m.Seconds:F0}s");
        Console.WriteLine($"total {clock.Elapsed.TotalMinutes:F2} min, teacher {result.TeacherSeconds:F0}s, test top-1 {result.TestTop1:P2}, agreement {result.TeacherAgreement:P2}, teacher top-1 {result.TeacherTop1:P2}, {result.TrainImagesPerSecond:F0} img/s, loss {result.Loss}; load {Paths.Load()}");
        return 0;
    }
}
