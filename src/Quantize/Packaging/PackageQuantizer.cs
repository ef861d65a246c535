using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Inference;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Metrics;
using Edge.Core.Preprocessing;
using Edge.Core.Progress;
using Edge.Quantize;
using Edge.Quantize.Calibration;
using Edge.Quantize.Fp16;
using Edge.Quantize.Sensitivity;
using Edge.Quantize.Speed;

namespace Edge.Quantize.Packaging;

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
    /// <summary>Auto mode: the speed search keeps a layer float only while the file stays at most this fraction of fp32.</summary>
    public double? MaxSizeRatio { get; init; }
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

            string? autoNote = null;
            var calibration = CalibrationFrom(options, spec);
            QuantizeReport report;
            IReadOnlyList<string> keptBySearch = [];
            var quantize = options.Quantize;
            if (options.Quantize.Mode == QuantizationMode.Auto)
            {
                using var step = progress.Begin("auto: measure int8 forms + per-layer speed search", 1, "searches");
                var evalSet = EvaluationSet(options, spec);
                // Timing inputs: real calibration images, so activations have realistic ranges and sparsity.
                var probeData = calibration.Batches().First();
                using var probe = new OrtSpeedProbe(probeData, [spec.Channels, spec.Height, spec.Width]);
                var auto = AutoQuantizer.Run(source.ModelPath, tmp, options.Quantize, calibration, probe,
                    path => Top1(path, evalSet.Data, evalSet.Labels, spec), (options.AccuracyBudgetPoints ?? 0.3) / 100.0,
                    search: new SpeedSearchOptions { MaxSizeRatio = options.MaxSizeRatio });
                report = auto.Search.Report;
                quantize = auto.Options;
                keptBySearch = [.. auto.Search.Layers.Where(l => l.KeptInFloat).Select(l => $"{l.Node} (speed: float is x{l.CostRatio:0.00} the int8 cost)")];
                autoNote = $"auto → {auto.Chosen} ({string.Join(", ", auto.Candidates.Select(c => c.WithinBudget ? $"{c.Name} x{c.CostRatio:0.00} of fp32 time, top-1 {100 * c.Metric:0.00}%" : $"{c.Name} over the accuracy budget (top-1 {100 * c.Metric:0.00}% vs fp32 {100 * auto.FloatMetric:0.00}% on held-out train images)"))}); {auto.Search.KeptInFloat.Count} layer(s) kept in float by the speed search";
            }
            else if (options.AccuracyBudgetPoints is { } budget)
            {
                using var step = progress.Begin("sensitivity search", 1, "searches");
                var evalSet = EvaluationSet(options, spec);
                var result = SensitivitySearch.Run(source.ModelPath, tmp, options.Quantize, calibration,
                    path => Top1(path, evalSet.Data, evalSet.Labels, spec), new SensitivityOptions { MaxDrop = budget / 100.0 });
                report = result.Report;
                keptBySearch = [.. result.KeptInFloat.Select(k => $"{k} (sensitivity)")];
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
                    (options.Quantize.Mode == QuantizationMode.Auto ? "Auto→" : "") + quantize.Mode + (report.FusedAttention > 0 ? $" + {report.FusedAttention} fused attention" : "")
                        + string.Concat(report.GraphPasses.Where(p => p.Value > 0).Select(p => $" + {p.Key} x{p.Value}"))
                        + (report.Quantized.Count(q => q.Kernel.StartsWith("QLinearConv 1x1", StringComparison.Ordinal)) is var asConv and > 0
                            ? $" + {asConv} Linear as QLinearConv (≤ {quantize.QLinearConvMaxRows} rows)" : ""),
                    $"{quantize.ActivationType}/{quantize.WeightType}{(quantize.PerChannel ? " per-channel" : "")}",
                    quantize.NeedsCalibration ? quantize.Calibration.Method.ToString() : null,
                    quantize.NeedsCalibration ? options.CalibrationSamples : 0,
                    [.. keptBySearch, .. report.KeptInFloat.Select(f => $"{f.Name} ({f.OpType}: {f.Reason})").Take(64)],
                    report.Quantized.Count, source.Manifest.ModelSha256),
            });
            return new QuantizePackageResult(package, report, autoNote is null ? report.ToString() : report + "\n" + autoNote);
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
            using var train = DatasetFactory.Open(options.Dataset, "train");
            var subset = DatasetSubset.Random(train, options.CalibrationSamples, options.Seed);
            foreach (var batch in new BatchLoader(subset, new Preprocessor(spec)).Batches(64))
                yield return batch.Data;
        }
    }

    /// <summary>Held-out train images (disjoint from calibration by seed) for the sensitivity metric; the test split stays untouched.</summary>
    private static (float[] Data, int[] Labels) EvaluationSet(QuantizePackageOptions options, PreprocessSpec spec)
    {
        using var train = DatasetFactory.Open(options.Dataset, "train");
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
