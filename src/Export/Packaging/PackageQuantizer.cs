using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Inference;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Metrics;
using Edge.Core.Preprocessing;
using Edge.Core.Progress;
using Edge.Export.Quantize;
using Edge.Export.Quantize.Calibration;
using Edge.Export.Quantize.Fp16;
using Edge.Export.Quantize.Sensitivity;

namespace Edge.Export.Packaging;

public enum TargetPrecision { Int8, Fp16 }

public sealed record QuantizePackageOptions
{
    public required string OutputDir { get; init; }
    public TargetPrecision Precision { get; init; } = TargetPrecision.Int8;
    public QuantizeOptions Quantize { get; init; } = new();
    public string Dataset { get; init; } = "fashion-mnist";
    /// <summary>Training images drawn (seeded) for calibration.</summary>
    public int CalibrationSamples { get; init; } = 512;
    public int Seed { get; init; }
    /// <summary>When set, keep the most sensitive layers in float until top-1 (on held-out train images) is within this many points of fp32.</summary>
    public double? AccuracyBudgetPoints { get; init; }
    public int SensitivitySamples { get; init; } = 2000;
    public string? Name { get; init; }
}

public sealed record QuantizePackageResult(ModelPackage Package, QuantizeReport? Report, string Summary);

/// <summary>
/// fp32 package → int8 (or fp16) package: calibration images come from the dataset's train split through the
/// package's own preprocessing; the manifest records method, calibration set, layers kept in float and the
/// source model's hash. The source package is never modified.
/// </summary>
public static class PackageQuantizer
{
    public static QuantizePackageResult Run(ModelPackage source, QuantizePackageOptions options, IProgressHost progress)
    {
        string outDir = Path.GetFullPath(options.OutputDir);
        if (string.Equals(outDir, Path.GetDirectoryName(source.ManifestPath), StringComparison.Ordinal))
            throw new EdgeException($"--out {outDir} is the source package's folder; quantization never modifies its input — pick another folder");
        string tmp = AtomicFile.TempPathFor(Path.Combine(outDir, "..", "quantized.onnx"));
        try
        {
            var spec = source.Manifest.Preprocess;
            string name = options.Name ?? $"{source.Manifest.Name}-{options.Precision.ToString().ToLowerInvariant()}";
            if (options.Precision == TargetPrecision.Fp16)
            {
                using (progress.Begin("convert to fp16", 1, "models"))
                    Fp16Converter.Convert(source.ModelPath, tmp);
                var fp16 = ModelPackage.Write(outDir, tmp, source.Manifest with
                {
                    Name = name, Precision = "fp16", ModelSha256 = null, CreatedUtc = null, Gate = null,
                    Quantization = new QuantizationInfo("fp16", "cast", null, 0, [], 0, source.Manifest.ModelSha256),
                });
                return new QuantizePackageResult(fp16, null, "fp16 weights and activations, float32 inputs/outputs");
            }

            var calibration = CalibrationFrom(options, spec);
            QuantizeReport report;
            IReadOnlyList<string> keptBySearch = [];
            if (options.AccuracyBudgetPoints is { } budget)
            {
                using var step = progress.Begin("sensitivity search", 1, "searches");
                var evalSet = EvaluationSet(options, spec);
                var result = SensitivitySearch.Run(source.ModelPath, tmp, options.Quantize, calibration,
                    path => Top1(path, evalSet.Data, evalSet.Labels, spec), new SensitivityOptions { MaxDrop = budget / 100.0 });
                report = result.Report;
                keptBySearch = result.KeptInFloat;
            }
            else
            {
                using var step = progress.Begin("calibrate + quantize", 1, "models");
                report = OnnxQuantizer.Quantize(source.ModelPath, tmp, options.Quantize, calibration);
            }

            var package = ModelPackage.Write(outDir, tmp, source.Manifest with
            {
                Name = name, Precision = "int8", ModelSha256 = null, CreatedUtc = null, Gate = null,
                Quantization = new QuantizationInfo(
                    options.Quantize.Mode.ToString(), $"{options.Quantize.ActivationType}/{options.Quantize.WeightType}{(options.Quantize.PerChannel ? " per-channel" : "")}",
                    options.Quantize.IsStatic ? options.Quantize.Calibration.Method.ToString() : null,
                    options.Quantize.IsStatic ? options.CalibrationSamples : 0,
                    [.. report.KeptInFloat.Select(f => $"{f.Name} ({f.OpType}: {f.Reason})").Take(64), .. keptBySearch.Select(k => $"{k} (sensitivity)")],
                    report.Quantized.Count, source.Manifest.ModelSha256),
            });
            return new QuantizePackageResult(package, report, report.ToString());
        }
        finally
        {
            AtomicFile.TryDelete(tmp);
        }
    }

    private static ICalibrationSource CalibrationFrom(QuantizePackageOptions options, PreprocessSpec spec)
    {
        if (options.CalibrationSamples < 1)
            throw new EdgeException($"calibration set is empty (--calibration-samples {options.CalibrationSamples}); use at least 1 (256–1024 is typical)");
        return new CalibrationSource([spec.Channels, spec.Height, spec.Width], () => Batches());

        IEnumerable<float[]> Batches()
        {
            using var train = DatasetFactory.Open(options.Dataset, "train", spec.Channels);
            var subset = DatasetSubset.Random(train, options.CalibrationSamples, options.Seed);
            foreach (var batch in new BatchLoader(subset, new Preprocessor(spec)).Batches(64))
                yield return batch.Data;
        }
    }

    /// <summary>Held-out train images (disjoint from calibration by seed) for the sensitivity metric; the test split stays untouched.</summary>
    private static (float[] Data, int[] Labels) EvaluationSet(QuantizePackageOptions options, PreprocessSpec spec)
    {
        using var train = DatasetFactory.Open(options.Dataset, "train", spec.Channels);
        var subset = DatasetSubset.Random(train, options.SensitivitySamples, options.Seed + 7919);
        var batches = new BatchLoader(subset, new Preprocessor(spec)).Batches(subset.Count).ToList();
        return (batches[0].Data, batches[0].Labels);
    }

    private static double Top1(string modelPath, float[] data, int[] labels, PreprocessSpec spec)
    {
        using var model = new OnnxClassifier(modelPath);
        int correct = 0, n = labels.Length, len = spec.TensorLength;
        for (int start = 0; start < n; start += 256)
        {
            int count = Math.Min(256, n - start);
            float[] logits = model.Run(data[(start * len)..((start + count) * len)], count);
            int classes = logits.Length / count;
            for (int i = 0; i < count; i++)
                if (Predictions.ArgMax(logits.AsSpan(i * classes, classes)) == labels[start + i]) correct++;
        }
        return (double)correct / n;
    }
}
