using System.Diagnostics;
using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Evaluation;
using Edge.Core.Gate;
using Edge.Core.Imaging;
using Edge.Core.Manifest;
using Edge.Core.Progress;
using Edge.Distill.Losses;
using Edge.Distill.Training;
using Edge.Export.Packaging;
using Edge.Quantize;
using Edge.Quantize.Packaging;
using Edge.Serve;
using Edge.Serve.Client;
using Microsoft.Extensions.Logging;

namespace Edge.Cli.Quickstart;

/// <summary>One image sent through the running server, and what came back.</summary>
public sealed record ServedImage(int Index, string TrueLabel, string Predicted, float Probability, double Milliseconds);

public sealed record QuickstartResult(
    DistillResult Distill, ExportPackageResult Fp32, QuantizePackageResult Int8, GateReport Fp32Gate, GateReport Gate,
    IReadOnlyList<ServedImage> Served, string GrpcAddress, string PackageDir, string GateDir, TimeSpan Elapsed);

/// <summary>
/// The whole Edge path once: distill (Hinton KD from the teacher) → export with parity → INT8 → gate against the
/// teacher on the full test set → serve the INT8 package on loopback and classify real test images through gRPC.
/// Each stage is the same library call its own verb makes, so the quickstart proves the verbs fit together.
/// </summary>
public static class QuickstartPipeline
{
    public const string ModelName = "fmnist-student";

    /// <summary>
    /// What the quickstart's few-minute, 0.9 M-parameter student is held to: within 12 points of the 95% teacher
    /// and 85% agreement, and — the check that matters for shipping — INT8 within 1 point of its fp32 model.
    /// A production gate uses the tighter defaults of `edge gate` (3 points, 90%, 0.5 point).
    /// </summary>
    public static readonly GateThresholds QuickstartThresholds = new()
    {
        MaxTop1Drop = 12, MaxTop1DropHard = 15, MinAgreement = 85, MinAgreementHard = 80, MaxDropVsBaseline = 1, MaxDropVsBaselineHard = 1.5,
    };

    public static async Task<QuickstartResult> RunAsync(QuickstartOptions o, IProgressHost progress, TextWriter log, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        string outDir = Path.GetFullPath(o.OutputDir);
        Directory.CreateDirectory(outDir);
        var teacher = ModelPackage.Load(o.Teacher);

        log.WriteLine($"[1/5] distill {o.Student} from {Path.GetFileName(teacher.ModelPath)} (Hinton KD, {o.Epochs} epochs, CPU)");
        var distill = DistillTrainer.Run(new DistillOptions
        {
            OutputDir = Path.Combine(outDir, "distill"),
            Student = o.Student,
            Teachers = [teacher.ModelPath],
            Dataset = "fashion-mnist",
            Epochs = o.Epochs,
            BatchSize = o.BatchSize,
            Seed = o.Seed,
            TrainSamples = o.TrainSamples,
            TeacherSamples = o.TeacherSamples,
            Loss = [new LossWeight("kd", 1.0), new LossWeight("ce", 0.5)],
        }, progress, cancel);

        log.WriteLine($"[2/5] export to ONNX + parity on {o.ParitySamples} real test images");
        var fp32 = StudentPackager.Export(distill.Model, DistillRun.Read(distill.OutputDir), new ExportPackageOptions
        {
            OutputDir = Path.Combine(outDir, "student-fp32"),
            Name = $"{ModelName}-fp32",
            ParitySamples = o.ParitySamples,
        }, progress);

        log.WriteLine($"[3/5] quantize to INT8 (auto: the fastest measured form, no slower than fp32 at batch 1 and 64; {o.CalibrationSamples} calibration images)");
        var int8 = PackageQuantizer.Run(fp32.Package, new QuantizePackageOptions
        {
            OutputDir = Path.Combine(outDir, "student-int8"),
            Name = ModelName,
            CalibrationSamples = o.CalibrationSamples,
            Seed = o.Seed,
            Quantize = new QuantizeOptions { Mode = QuantizationMode.Auto },
        }, progress);

        // The gate as a release flow: the fp32 student is checked against the teacher and becomes the baseline
        // (gate.json); the INT8 student must then not lose more than a point against that baseline, paired image
        // by image. The teacher's logits are computed once and shared through the cache.
        log.WriteLine("[4/5] gate: fp32 student vs teacher, then INT8 vs teacher and vs the fp32 baseline (10,000 test images)");
        var cache = new LogitCache();
        var thresholds = QuickstartThresholds;
        var fp32Gate = GateRunner.Run(new GateOptions
        {
            Teacher = new ModelSource(teacher.ModelPath, "teacher"),
            Candidates = [new ModelSource(fp32.Package.ManifestPath, "student-fp32")],
            Thresholds = thresholds,
            Evaluation = new EvaluatorOptions { Cache = cache },
        }, progress, cancel);
        string fp32GateDir = Path.Combine(outDir, "gate-fp32");
        GateReportWriter.Write(fp32Gate, fp32GateDir);
        var gate = GateRunner.Run(new GateOptions
        {
            Teacher = new ModelSource(teacher.ModelPath, "teacher"),
            Candidates = [new ModelSource(int8.Package.ManifestPath, "student-int8")],
            Thresholds = thresholds,
            Baseline = Path.Combine(fp32GateDir, GateReportWriter.JsonFileName),
            BaselineModel = "student-fp32",
            Evaluation = new EvaluatorOptions { Cache = cache },
        }, progress, cancel);
        string gateDir = Path.Combine(outDir, "gate-int8");
        GateReportWriter.Write(gate, gateDir);
        var fp32Package = fp32.Package.WithManifest(fp32.Package.Manifest with { Gate = fp32Gate.ManifestResults("student-fp32") });
        var int8Package = int8.Package.WithManifest(int8.Package.Manifest with { Gate = gate.ManifestResults("student-int8") });

        log.WriteLine("[5/5] serve the INT8 package over gRPC on loopback and classify real test images");
        string repository = Path.Combine(outDir, "repository");
        ModelPackage.Write(Path.Combine(repository, ModelName, "1"), int8Package.ModelPath, int8Package.Manifest with { ModelSha256 = null });
        var served = await ServeAndClassifyAsync(repository, o, cancel);

        return new QuickstartResult(distill, fp32 with { Package = fp32Package }, int8 with { Package = int8Package }, fp32Gate, gate,
            served.Images, served.Address, Path.GetDirectoryName(int8Package.ManifestPath)!, gateDir, clock.Elapsed);
    }

    private static async Task<(IReadOnlyList<ServedImage> Images, string Address)> ServeAndClassifyAsync(string repository, QuickstartOptions o, CancellationToken cancel)
    {
        await using var server = await EdgeServer.StartAsync(new ServeOptions { Repository = repository, GrpcPort = 0, HttpPort = 0 },
            logging => logging.SetMinimumLevel(LogLevel.Warning), cancel);
        using var client = EdgeClient.Connect(server.GrpcAddress);
        if (!await client.ServerReadyAsync(cancel))
            throw new InvalidOperationException($"server at {server.GrpcAddress} did not become ready");
        using var test = DatasetFactory.Open("fashion-mnist", "test");
        var images = new List<ServedImage>();
        for (int k = 0; k < o.ServeImages; k++)
        {
            int index = (int)((long)k * test.Count / o.ServeImages) + 17;
            byte[] png = ImageEncoder.Png(test.GetImage(index));
            var sw = Stopwatch.StartNew();
            var result = await client.ClassifyAsync(ModelName, png, 1, cancellationToken: cancel);
            sw.Stop();
            var top = result.Top[0];
            images.Add(new ServedImage(index, test.ClassNames[test.GetLabel(index)], top.Label, top.Probability, sw.Elapsed.TotalMilliseconds));
        }
        return (images, server.GrpcAddress);
    }
}
