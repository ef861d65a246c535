using System.Globalization;
using Edge.Core;
using Edge.Core.IO;
using Edge.Distill.Device;
using Edge.Distill.Models;
using Edge.Distill.Training;
using TorchSharp;

namespace Edge.Bench.TrainSpeed;

/// <summary>One timed round of one framework.</summary>
public sealed record Round(string Framework, string Student, int Batch, int Threads, int Index, int Steps, double ImagesPerSecond, double Seconds, double Loss);

/// <summary>Medians over a series' rounds, and the ratio of Edge's to PyTorch's.</summary>
public sealed record Summary(string Student, int Batch, int Threads, string Framework, int Rounds, double MedianImagesPerSecond, double MinImagesPerSecond,
    double MaxImagesPerSecond, double? RatioToPyTorch, double? MedianRoundRatio);

public sealed record Report(string Machine, string StartLoad, string EndLoad, string Versions, IReadOnlyList<Round> Rounds, IReadOnlyList<Summary> Summaries);

/// <summary>
/// CPU (or GPU) training throughput of Edge against PyTorch eager on the same TinyViT, in one run: for each student
/// and batch, the frameworks' rounds interleave (Edge with each optimizer of <c>--optimizers</c>, then PyTorch, then
/// again), each round a fixed number of training steps after a short warm-up, at the same thread count; then the
/// medians and the ratio Edge / PyTorch. The load average is printed at the start and the end: the machine is shared.
/// Students that are not TinyViTs (simple-cnn) run on Edge only.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            var o = BenchOptions.Parse(args);
            var device = TorchDevices.Resolve(o.Device);
            int threads = o.Threads > 0 ? o.Threads : Environment.ProcessorCount;
            torch.set_num_threads(threads);
            string startLoad = Load();
            Console.WriteLine($"{Environment.ProcessorCount} cores, {threads} threads for both, device {device}, {TrainingPrecisions.Name(o.Precision)}; load {startLoad}");
            if (o.PythonEnv.Count > 0) Console.WriteLine($"PyTorch environment: {string.Join(" ", o.PythonEnv.Select(kv => $"{kv.Key}={kv.Value}"))}");
            var (py, why) = o.SkipPython ? (null, "--no-python") : PyTorchSide.Start(o.Python, o.PythonEnv);
            string versions = $"TorchSharp {typeof(torch).Assembly.GetName().Version}";
            var rounds = new List<Round>();
            try
            {
                foreach (var (student, config) in o.Students)
                {
                    bool isTinyVit = StudentRegistry.Create(student, config) is var probe && probe is TinyVit;
                    probe.Dispose();
                    foreach (int batch in o.Batches)
                    {
                        int steps = o.Steps(batch);
                        var edge = o.Optimizers.Select(opt => (Name: $"edge/{opt}", Side: new EdgeTrainingStep(student, config, batch, opt, device, o.Precision)
                            { Phases = o.Breakdown ? new double[4] : null })).ToList();
                        bool withPy = py is not null && isTinyVit;
                        if (withPy)
                        {
                            var built = py!.Build(config, batch, threads, o.Device, TrainingPrecisions.Name(o.Precision));
                            if (built["skipped"] is { } skipped) { why = skipped.GetValue<string>(); withPy = false; py.Dispose(); py = null; }
                            else
                            {
                                versions += $", {built["versions"]} ({built["threads"]} threads)";
                                Console.WriteLine($"{student}: Edge {edge[0].Side.Parameters:N0} parameters, PyTorch {built["parameters"]}");
                            }
                        }
                        else if (!isTinyVit) why = $"{student} is not a TinyViT; the PyTorch side builds TinyViTs only";
                        try
                        {
                            // Each round starts with the next series, so no series always runs first (or after the same one).
                            var series = edge.Select(e => (e.Name, Run: (Func<(double, double, double)>)(() => e.Side.Round(steps, o.Warmup)),
                                Phases: (Func<double[]?>)(() => e.Side.Phases))).ToList();
                            if (withPy) series.Add(("pytorch", () => py!.Round(steps, o.Warmup), () => o.Breakdown ? py!.LastPhases : null));
                            for (int r = 0; r < o.Rounds; r++)
                                for (int k = 0; k < series.Count; k++)
                                {
                                    var (name, run, phases) = series[(r + k) % series.Count];
                                    rounds.Add(Print(Round(name, student, batch, threads, r, steps, run())));
                                    if (phases() is { } p)
                                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                            $"      ms/step: forward+loss {p[0] * 1000 / steps:F2}, backward {p[1] * 1000 / steps:F2}, clip {p[2] * 1000 / steps:F2}, step {p[3] * 1000 / steps:F2}"));
                                }
                        }
                        finally
                        {
                            foreach (var (_, side) in edge) side.Dispose();
                        }
                    }
                }
            }
            finally
            {
                py?.Dispose();
            }
            if (why is not null) Console.WriteLine($"PyTorch not measured for some series: {why}");
            var summaries = Summarize(rounds);
            string endLoad = Load();
            Console.WriteLine();
            Console.WriteLine($"| student | batch | threads | framework | rounds | median img/s | min–max | Edge / PyTorch (medians) | median of round ratios |");
            Console.WriteLine($"| --- | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: |");
            foreach (var s in summaries)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {s.Student} | {s.Batch} | {s.Threads} | {s.Framework} | {s.Rounds} | {s.MedianImagesPerSecond:F1} | {s.MinImagesPerSecond:F1}–{s.MaxImagesPerSecond:F1} | {(s.RatioToPyTorch is { } q ? $"{q:F2}x" : "")} | {(s.MedianRoundRatio is { } m ? $"{m:F2}x" : "")} |"));
            Console.WriteLine($"load at the start {startLoad}, at the end {endLoad}");
            if (o.Json is not null) JsonFiles.Write(o.Json, new Report($"{Environment.ProcessorCount} cores, {o.Device}", startLoad, endLoad, versions, rounds, summaries));
            return 0;
        }
        catch (EdgeException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    private static Round Print(Round r)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  round {r.Index + 1} {r.Framework,-16} {r.Student} batch {r.Batch,4}: {r.ImagesPerSecond,9:F1} img/s ({r.Steps} steps, {r.Seconds:F2} s, loss {r.Loss:F3})"));
        return r;
    }


    private static Round Round(string framework, string student, int batch, int threads, int index, int steps, (double Ips, double Seconds, double Loss) m) =>
        new(framework, student, batch, threads, index, steps, m.Ips, m.Seconds, m.Loss);

    public static IReadOnlyList<Summary> Summarize(IReadOnlyList<Round> rounds)
    {
        var result = new List<Summary>();
        foreach (var g in rounds.GroupBy(r => (r.Student, r.Batch, r.Threads)))
        {
            var torchRounds = g.Where(r => r.Framework == "pytorch").ToDictionary(r => r.Index);
            double? torchMedian = torchRounds.Count > 0 ? Median(torchRounds.Values.Select(r => r.ImagesPerSecond)) : null;
            foreach (var f in g.GroupBy(r => r.Framework))
            {
                var ips = f.Select(r => r.ImagesPerSecond).ToArray();
                bool isEdge = f.Key != "pytorch";
                double? ratio = isEdge && torchMedian is { } tm ? Median(ips) / tm : null;
                var paired = f.Where(r => torchRounds.ContainsKey(r.Index)).Select(r => r.ImagesPerSecond / torchRounds[r.Index].ImagesPerSecond).ToArray();
                double? roundRatio = isEdge && paired.Length > 0 ? Median(paired) : null;
                result.Add(new Summary(g.Key.Student, g.Key.Batch, g.Key.Threads, f.Key, ips.Length, Median(ips), ips.Min(), ips.Max(), ratio, roundRatio));
            }
        }
        return result;
    }

    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
