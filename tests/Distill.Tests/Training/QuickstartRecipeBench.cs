using System.Diagnostics;
using Edge.Core.Progress;
using Edge.Distill.Losses;
using Edge.Distill.Training;
using Edge.Testing;
using Xunit;
using Xunit.Abstractions;

namespace Edge.Distill.Tests.Training;

/// <summary>
/// The quickstart's distill step on the full Fashion-MNIST (minutes on two cores). Opt-in with EDGE_BENCH=1;
/// EDGE_BENCH_EPOCHS / EDGE_BENCH_TEACHER_SAMPLES / EDGE_BENCH_STUDENT / EDGE_BENCH_OUT override the recipe.
/// </summary>
public class QuickstartRecipeBench(ITestOutputHelper output)
{
    [Fact]
    public void QuickstartDistill()
    {
        if (Environment.GetEnvironmentVariable("EDGE_BENCH") != "1") return;
        string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) ?? fallback;
        string dir = Env("EDGE_BENCH_OUT", Path.Combine(Path.GetTempPath(), "edge-quickstart-bench"));
        var options = new DistillOptions
        {
            OutputDir = dir,
            Student = Env("EDGE_BENCH_STUDENT", "tinyvit-quick-32"),
            Teachers = [TestPaths.Teacher],
            Dataset = "fashion-mnist",
            Epochs = int.Parse(Env("EDGE_BENCH_EPOCHS", "2")),
            BatchSize = int.Parse(Env("EDGE_BENCH_BATCH", "128")),
            LearningRate = double.Parse(Env("EDGE_BENCH_LR", "0.002"), System.Globalization.CultureInfo.InvariantCulture),
            TeacherSamples = int.Parse(Env("EDGE_BENCH_TEACHER_SAMPLES", "15000")) is var t && t > 0 ? t : null,
            Loss = LossWeight.ParseList(Env("EDGE_BENCH_LOSS", "kd=1,ce=0.5")),
            Resume = Env("EDGE_BENCH_RESUME", "0") == "1",
        };
        var clock = Stopwatch.StartNew();
        using var result = DistillTrainer.Run(options, new LineProgress(output));
        foreach (var m in result.Epochs)
            output.WriteLine($"epoch {m.Epoch}: loss {m.TrainLoss:F4} top1 {m.TestTop1:P2} agree {m.TeacherAgreement:P2} {m.TrainImagesPerSecond:F0} img/s {m.Seconds:F0}s");
        output.WriteLine($"total {clock.Elapsed.TotalMinutes:F2} min, teacher {result.TeacherSeconds:F0}s, test top-1 {result.TestTop1:P2}, agreement {result.TeacherAgreement:P2}, teacher top-1 {result.TeacherTop1:P2}, {result.TrainImagesPerSecond:F0} img/s, loss {result.Loss}");
    }

    private sealed class LineProgress(ITestOutputHelper output) : IProgressHost
    {
        public StepHandle Begin(string title, long total, string unit)
        {
            var clock = Stopwatch.StartNew();
            return new StepHandle(IStepProgress.None, () => output.WriteLine($"{title}: {total} {unit} in {clock.Elapsed.TotalSeconds:F1}s ({total / clock.Elapsed.TotalSeconds:F0} {unit}/s)"));
        }
    }
}
