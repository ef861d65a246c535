using System.Diagnostics;
using Edge.Core.Data;
using Edge.Core.Evaluation;
using Edge.Core.Gate;
using Edge.Core.Inference;
using Edge.Core.Manifest;
using Edge.Core.Progress;
using Edge.Core.Tests.Gate;
using Edge.Serve;

// The gate's acceptance figures (docs/GATE.md, "Measured"). Modes:
//   timing  [candidate ...]  teacher + two candidates over the 10,000 test images, cold then with a warm logit cache
//   noflap [CANDIDATE]       a candidate identical to the baseline, 20 gates on random 1,000-image subsets
//   broken                   good and deliberately broken candidates on all 10,000 images: verdict and failing rules
//   server [N] [PACKAGE]     the same candidate gated from its file and through a live KServe v2 server
//   student FP32 INT8 [DROP] [CACHE]  a distilled student: fp32 package = baseline, its INT8 must pass; candidates
//                            broken from the fp32 student (wrong normalization, weights perturbed until top-1 drops by
//                            DROP points (default 2), labels shifted by one) must fail
//   render GATE.JSON DIR     re-renders the report files of an existing gate.json
string root = FindRoot();
string teacher = Path.Combine(root, "models", "fmnist-resnet18.onnx");
string mode = args.Length > 0 ? args[0] : "timing";
string work = Path.Combine(Path.GetTempPath(), "edge-bench-gate");
Directory.CreateDirectory(work);
Console.WriteLine($"{mode}: {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

GateOptions Options(params string[] candidates) => new()
{
    Teacher = new ModelSource(teacher),
    Candidates = candidates.Select(ModelSource.Parse).ToArray(),
};

void Show(string title, GateReport r, double seconds)
{
    string failing = string.Join(", ", r.Failures().Select(f => f.Rule).Distinct());
    Console.WriteLine($"{title}: {(r.Passed ? "PASS (exit 0)" : "FAIL (exit 1)")} in {seconds:0.0} s; failing: {(failing.Length > 0 ? failing : "none")}");
    foreach (var m in new[] { r.Teacher }.Concat(r.Candidates))
        Console.WriteLine($"  {m.Name,-18} top-1 {m.Top1?.ToString() ?? "-",-22} agreement {m.Agreement,-22} drop vs teacher {m.VsTeacher?.Drop.ToString() ?? "-",-22} vs baseline {m.VsBaseline?.Drop.ToString() ?? "-",-22} {m.ImagesPerSecond,6:0} img/s  p50 {m.Latency.P50Ms:0.00} ms");
}

(GateReport, double) Timed(GateOptions options)
{
    // CPU seconds are reported too: on a shared machine wall time measures the neighbours as well; CPU time / cores
    // is what the same run costs on an idle machine with these cores (ORT keeps both cores busy in a batched pass).
    var clock = Stopwatch.StartNew();
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var report = GateRunner.Run(options, IProgressHost.None);
    double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
    Console.WriteLine($"  [wall {clock.Elapsed.TotalSeconds:0.0} s, CPU {cpu:0.0} s = {cpu / Environment.ProcessorCount:0.0} s on {Environment.ProcessorCount} idle cores; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}]");
    return (report, clock.Elapsed.TotalSeconds);
}

switch (mode)
{
    case "timing":
    {
        string[] candidates = args.Length > 1 ? args[1..] :
        [
            BrokenCandidates.Perturbed(teacher, work, 0.2),
            BrokenCandidates.WrongNormalization(teacher, work),
        ];
        string cacheDir = Path.Combine(work, "cache-" + Guid.NewGuid().ToString("N")[..8]);
        var options = Options(candidates) with { Evaluation = new EvaluatorOptions { Cache = new LogitCache(cacheDir) } };
        var (cold, coldSeconds) = Timed(options);
        Show("cold (every model runs)", cold, coldSeconds);
        GateReportWriter.Write(cold, Path.Combine(work, "timing-report"));
        var (warm, warmSeconds) = Timed(options with { Evaluation = new EvaluatorOptions { Cache = new LogitCache(cacheDir) } });
        Show("warm (logits of unchanged files from --cache-dir)", warm, warmSeconds);
        Directory.Delete(cacheDir, recursive: true);
        break;
    }
    case "noflap":
    {
        // A candidate (default: a student-like noisy teacher, ~1.5 points below it); its gate.json on all 10,000
        // images is the baseline.
        string student = args.Length > 1 ? Path.GetFullPath(args[1]) : BrokenCandidates.Perturbed(teacher, work, 0.4);
        var cache = new LogitCache();
        var (baseline, s0) = Timed(Options(student) with { Evaluation = new EvaluatorOptions { Cache = cache, LatencySamples = 5 } });
        Show("baseline on 10,000", baseline, s0);
        string baselineDir = Path.Combine(work, "noflap-baseline");
        GateReportWriter.Write(baseline, baselineDir);
        int passed = 0;
        var drops = new List<double>();
        for (int run = 0; run < 20; run++)
        {
            var (r, s) = Timed(Options(student) with
            {
                Samples = 1000, SubsetSeed = 1000 + run, Seed = run, Baseline = baselineDir,
                Evaluation = new EvaluatorOptions { Cache = cache, LatencySamples = 5 },
            });
            if (r.Passed) passed++;
            drops.Add(r.Candidates[0].VsTeacher!.Drop.Estimate);
            Console.WriteLine($"  run {run + 1,2}: {(r.Passed ? "pass" : "FAIL " + string.Join(",", r.Failures().Select(f => f.Rule)))}  drop vs teacher {r.Candidates[0].VsTeacher!.Drop}  vs baseline {r.Candidates[0].VsBaseline!.Drop} ({s:0.0} s)");
        }
        Console.WriteLine($"passed {passed} of 20; drop vs teacher on the subsets {drops.Min():0.00}..{drops.Max():0.00} pts (tolerance {new GateThresholds().MaxTop1Drop})");
        break;
    }
    case "broken":
    {
        var cache = new LogitCache();
        var evaluation = new EvaluatorOptions { Cache = cache, LatencySamples = 5 };
        string identical = BrokenCandidates.Identical(teacher, work);
        int? samples = args.Length > 2 ? int.Parse(args[2]) : null;
        var (baseline, s0) = Timed(Options(identical) with { Evaluation = evaluation, Samples = samples });
        Show("identical (baseline)", baseline, s0);
        string baselineDir = Path.Combine(work, "broken-baseline");
        GateReportWriter.Write(baseline, baselineDir);
        double noise = args.Length > 1 ? double.Parse(args[1]) : 0.6;
        foreach (var candidate in new[]
                 {
                     BrokenCandidates.Perturbed(teacher, work, 0.2),
                     BrokenCandidates.WrongNormalization(teacher, work),
                     BrokenCandidates.Perturbed(teacher, work, noise),
                     BrokenCandidates.ShiftedLabelsInManifest(teacher, work),
                     BrokenCandidates.ShiftedLabelsInGraph(teacher, work),
                 })
        {
            var (r, s) = Timed(Options(candidate) with { Baseline = baselineDir, Evaluation = evaluation, Samples = samples });
            Show(Path.GetFileName(candidate), r, s);
            GateReportWriter.Write(r, Path.Combine(work, "broken-" + Path.GetFileName(candidate)));
        }
        break;
    }
    case "server":
    {
        int samples = args.Length > 1 ? int.Parse(args[1]) : 2000;
        string package = args.Length > 2 ? Path.GetFullPath(args[2]) : BrokenCandidates.Perturbed(teacher, work, 0.4);
        await using var server = await EdgeServer.StartAsync(new ServeOptions { Repository = package, GrpcPort = 0, HttpPort = 0 });
        string name = server.Repository.ModelNames.Single();
        string remote = $"{server.GrpcAddress.Replace("http://", "grpc://")}/{name},name=served,manifest={Path.Combine(package, "manifest.json")}";
        var options = Options(package + ",name=file", remote) with { Samples = samples, SubsetSeed = 3 };
        var (r, s) = Timed(options);
        Show($"file vs served on {samples} images", r, s);
        var file = r.Candidates[0];
        var served = r.Candidates[1];
        var pf = file.Samples; var ps = served.Samples;
        Console.WriteLine($"identical per-image outcomes: correct {pf.Correct == ps.Correct}, agrees {pf.Agrees == ps.Agrees}; top-1 {file.Top1!.Estimate:0.00} vs {served.Top1!.Estimate:0.00}; KL {file.MeanKl:0.000000} vs {served.MeanKl:0.000000}");
        break;
    }
    case "student":
    {
        string fp32 = Path.GetFullPath(args[1]), int8 = Path.GetFullPath(args[2]);
        double wantedDrop = args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 2.0;
        var cache = args.Length > 4 ? new LogitCache(args[4]) : new LogitCache();
        var evaluation = new EvaluatorOptions { Cache = cache, LatencySamples = 20 };
        var (baseline, s0) = Timed(Options(fp32 + ",name=student-fp32") with { Evaluation = evaluation });
        Show("baseline: fp32 student vs teacher", baseline, s0);
        string baselineDir = Path.Combine(work, "student-baseline");
        GateReportWriter.Write(baseline, baselineDir);
        double fp32Top1 = baseline.Candidates[0].Top1!.Estimate;

        // The smallest seeded weight noise (relative to each tensor's RMS) whose top-1 drop reaches the wanted
        // drop: the "2-point regression" candidate is then a real 2-point loss, not a collapse.
        string onnx = ModelPackage.Load(fp32).ModelPath;
        string? perturbed = null;
        foreach (double noise in new[] { 0.02, 0.03, 0.04, 0.05, 0.06, 0.065, 0.07, 0.075, 0.08, 0.10, 0.12, 0.15, 0.2, 0.25, 0.3, 0.4 })
        {
            string candidate = BrokenCandidates.Perturbed(onnx, work, noise);
            var (probe, _) = Timed(Options(candidate) with { Evaluation = evaluation with { LatencySamples = 0 }, Rules = ["top1-drop-vs-teacher"] });
            double drop = fp32Top1 - probe.Candidates[0].Top1!.Estimate;
            Console.WriteLine($"  noise {noise:0.000} x RMS: top-1 {probe.Candidates[0].Top1!.Estimate:0.00}% (drop {drop:0.00} pts vs fp32)");
            if (drop >= wantedDrop) { perturbed = candidate; break; }
        }
        if (perturbed is null) { Console.Error.WriteLine($"no noise level dropped top-1 by {wantedDrop} points"); return 1; }

        foreach (var candidate in new[]
                 {
                     int8 + ",name=student-int8",
                     BrokenCandidates.WrongNormalization(onnx, work),
                     perturbed,
                     BrokenCandidates.ShiftedLabelsInManifest(onnx, work),
                     BrokenCandidates.ShiftedLabelsInGraph(onnx, work),
                 })
        {
            var (r, s) = Timed(Options(candidate) with { Baseline = baselineDir, Evaluation = evaluation });
            Show(Path.GetFileName(candidate.Split(',')[0]) + (candidate.Contains(",name=") ? " (" + candidate.Split("name=")[1] + ")" : ""), r, s);
            foreach (var f in r.Failures()) Console.WriteLine($"    fails {f.Rule}: {f.Detail}");
            GateReportWriter.Write(r, Path.Combine(work, "student-" + (candidate.Contains(",name=") ? candidate.Split("name=")[1] : Path.GetFileName(candidate))));
        }
        break;
    }
    case "render":
    {
        // Re-renders report.md, junit.xml and the figures of an existing gate.json (e.g. after a change to the writer).
        var report = GateJson.Read(args[1]);
        foreach (var path in GateReportWriter.Write(report, args[2])) Console.WriteLine(path);
        break;
    }
    default:
        Console.Error.WriteLine($"unknown mode '{mode}': timing, noflap, broken, server, student, render");
        return 2;
}
return 0;

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Edge.sln"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("Edge.sln not found");
}
