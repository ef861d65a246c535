using Edge.Core;
using Edge.Core.Data;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Core.Progress;
using Edge.Distill.Models;
using Edge.Export.Onnx;

namespace Edge.Export.Packaging;

public sealed record ExportPackageOptions
{
    public required string OutputDir { get; init; }
    public string Name { get; init; } = "student";
    /// <summary>Real test images the parity check runs through both TorchSharp and ONNX Runtime.</summary>
    public int ParitySamples { get; init; } = 2000;
    public double Tolerance { get; init; } = 1e-4;
    public int Opset { get; init; } = 20;
    /// <summary>Images for the parity check (test split); null: the run's own dataset.</summary>
    public DatasetSource? Dataset { get; init; }
}

public sealed record ExportPackageResult(ModelPackage Package, ParityResult Parity, OnnxExportResult Export);

/// <summary>
/// Student → fp32 model package: exports the TorchSharp student to ONNX, proves parity on real preprocessed test
/// images (through the student's own preprocessing, by the same <see cref="Preprocessor"/> the gate and server use),
/// and writes the package with the student's labels and preprocessing from its run record, and provenance as names and
/// hashes only. A parity failure writes nothing.
/// </summary>
public static class StudentPackager
{
    private const int ParityBatch = 250;

    public static ExportPackageResult Export(StudentModel model, DistillRun run, ExportPackageOptions options, IProgressHost progress)
    {
        var record = run.Record;
        var spec = record.Student.Preprocess;
        var c = model.Config;
        if (c.InChannels != spec.Channels || c.ImageSize != spec.Height || c.ImageSize != spec.Width)
            throw new EdgeException($"student takes [{c.InChannels}, {c.ImageSize}, {c.ImageSize}] but its run's preprocessing produces [{spec.Channels}, {spec.Height}, {spec.Width}]");
        if (c.NumClasses != record.Labels.Count)
            throw new EdgeException($"student predicts {c.NumClasses} classes but its run record lists {record.Labels.Count} labels");

        string tmpOnnx = AtomicFile.TempPathFor(Path.Combine(Path.GetFullPath(options.OutputDir), "..", $"{options.Name}.export.onnx"));
        try
        {
            OnnxExportResult exported;
            using (var step = progress.Begin("export to ONNX", 1, "models"))
            {
                exported = OnnxExporter.Export(model, new OnnxExportOptions
                {
                    Opset = options.Opset,
                    Metadata = new Dictionary<string, string> { ["edge.student"] = model.RegistryName },
                }, tmpOnnx);
                step.Report(1, 1, $"{exported.NodeCount} nodes");
            }
            var parity = CheckParity(model, tmpOnnx, spec, options.Dataset ?? record.Options.Dataset, options, progress);
            if (!parity.Passes(options.Tolerance))
                throw new CheckFailedException($"ONNX export differs from TorchSharp: {parity} (tolerance {options.Tolerance:E0}, 100% agreement required); nothing was written");

            var teachers = record.Teachers;
            var manifest = new ModelManifest
            {
                Name = options.Name,
                Precision = "fp32",
                Labels = record.Labels,
                Input = new TensorSpec("input", [-1, spec.Channels, spec.Height, spec.Width]),
                Output = new OutputSpec("logits", [-1, record.Labels.Count]),
                Preprocess = spec,
                Teacher = new TeacherInfo(string.Join("+", teachers.Select(t => t.Description)),
                    teachers.Count == 1 && teachers[0].Sha256 is { } sha ? sha : FileHash.Sha256(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", teachers.Select(t => t.Identity)))),
                    record.Result?.TeacherTop1OnAgreementSet),
                Student = new StudentInfo(record.Student.Preset, model.ParameterCount, FileHash.Sha256(run.WeightsPath), record.Fingerprint,
                    record.Result?.Epochs, record.Objective, record.Result?.TestTop1),
                Parity = new ParityInfo(parity.MaxAbsDiff, parity.MeanAbsDiff, parity.Top1Agreement, parity.Samples, "TorchSharp fp32 (libtorch CPU)"),
            };
            var package = ModelPackage.Write(options.OutputDir, tmpOnnx, manifest);
            return new ExportPackageResult(package, parity, exported with { Path = package.ModelPath });
        }
        finally
        {
            AtomicFile.TryDelete(tmpOnnx);
        }
    }

    /// <summary>Parity over the first N test images, in batches, aggregated.</summary>
    public static ParityResult CheckParity(StudentModel model, string onnxPath, PreprocessSpec spec, DatasetSource dataset, ExportPackageOptions options, IProgressHost progress)
    {
        using var test = dataset.Open("test");
        var subset = DatasetSubset.Head(test, options.ParitySamples);
        var loader = new BatchLoader(subset, new Preprocessor(spec));
        int[] shape = [spec.Channels, spec.Height, spec.Width];
        double max = 0, sumMean = 0, agreeSum = 0;
        int samples = 0;
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(onnxPath);
        using var step = progress.Begin("parity (TorchSharp vs ORT)", subset.Count, "img");
        foreach (var batch in loader.Batches(ParityBatch))
        {
            var r = ParityCheck.Run(model, session, batch.Data, batch.Count, shape);
            max = Math.Max(max, r.MaxAbsDiff);
            sumMean += r.MeanAbsDiff * batch.Count;
            agreeSum += r.Top1Agreement * batch.Count;
            samples += batch.Count;
            step.Report(samples, subset.Count, $"max |Δ| {max:E1}");
        }
        return new ParityResult(samples, max, sumMean / Math.Max(1, samples), agreeSum / Math.Max(1, samples));
    }
}
