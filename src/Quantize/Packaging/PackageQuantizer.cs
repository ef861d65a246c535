using Edge.Core;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Progress;
using Edge.Quantize.Fp16;
using Edge.Quantize.Guarantee;
using Edge.Quantize.Sensitivity;
using Edge.Quantize.Speed;

namespace Edge.Quantize.Packaging;

public sealed record QuantizePackageResult(ModelPackage Package, QuantizeReport? Report, string Summary, GuaranteeResult? Check = null);

/// <summary>
/// fp32 package → int8 (or fp16) package. Calibration and held-out images come from the dataset's train split
/// through the package's own preprocessing (<see cref="PackageImages"/>). An INT8 package is written only when it is
/// within the accuracy budget on the held-out images and no slower than fp32 at each guaranteed batch size
/// (<see cref="QuantizationGuarantee"/>), unless an override says to and the output says so. The manifest records
/// method, calibration set, layers kept in float, the measurements and the source model's hash. The source package
/// is never modified; nothing is left behind when a step fails.
/// </summary>
public static class PackageQuantizer
{
    /// <param name="probe">The timer for the guarantee and auto mode; null: ONNX Runtime on real calibration images at the guaranteed batch sizes.</param>
    public static QuantizePackageResult Run(ModelPackage source, QuantizePackageOptions options, IProgressHost progress, ISpeedProbe? probe = null)
    {
        string outDir = Path.GetFullPath(options.OutputDir);
        if (string.Equals(outDir, Path.GetDirectoryName(source.ManifestPath), StringComparison.Ordinal))
            throw new EdgeException($"--out {outDir} is the source package's folder; quantization never modifies its input — pick another folder");
        var guarantee = options.EffectiveGuarantee;
        guarantee.Validate();
        options.Quantize.Validate();
        string tmp = AtomicFile.TempPathFor(Path.Combine(outDir, "..", "quantized.onnx"));
        try
        {
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

            var images = new PackageImages(options, source.Manifest);
            var calibration = images.Calibration;
            using var ownProbe = probe is null ? new OrtSpeedProbe(images.ProbeSamples(), images.SampleShape, guarantee.BatchSizes, guarantee.Threads, batch1Runs: 60) : null;
            probe ??= ownProbe!;
            if (!probe.BatchSizes.SequenceEqual(guarantee.BatchSizes))
                throw new ArgumentException($"the speed probe times batch sizes [{string.Join(", ", probe.BatchSizes)}], the guarantee names [{string.Join(", ", guarantee.BatchSizes)}]", nameof(probe));
            var (report, quantize, kept, note) = QuantizeInto(source, tmp, options, guarantee, images, calibration, probe, progress);

            GuaranteeResult Check()
            {
                using (progress.Begin($"guarantee: held-out top-1 and speed vs fp32 at batch {string.Join(", ", guarantee.BatchSizes)}", 1, "checks"))
                    return QuantizationGuarantee.Measure(source.ModelPath, tmp, images.Holdout, probe, guarantee);
            }
            var check = Check();
            bool auto = options.Quantize.Mode == QuantizationMode.Auto;
            if (auto && !check.SpeedMet && options.LayerSearch == LayerSearch.IfSlower && !kept.Any(k => k.Contains("(speed", StringComparison.Ordinal)))
            {
                // The chosen form measured slower here than during the auto timing: fall back layer by layer now, then check again.
                using (progress.Begin("auto: per-layer fallback (slower than fp32 in the final check)", 1, "searches"))
                {
                    var search = SpeedSearch.Run(source.ModelPath, tmp + ".search.onnx", quantize, OnnxQuantizer.Calibrate(ModelFile.Load(source.ModelPath), quantize, calibration), probe,
                        new SpeedSearchOptions { MaxSizeRatio = options.MaxSizeRatio });
                    File.Move(tmp + ".search.onnx", tmp, overwrite: true);
                    (report, quantize) = (search.Report, quantize with { KeepInFloat = [.. quantize.KeepInFloat, .. search.KeptInFloat] });
                    kept = [.. kept, .. search.KeptInFloat.Select(k => $"{k} (speed: float is faster)")];
                }
                check = Check();
            }
            string hint = auto
                ? "Keep the fp32 package (auto mode measured every form and fell back layer by layer), calibrate on more data"
                : "Try --mode auto (it measures forms and falls back layer by layer), --accuracy-budget (keeps sensitive layers float)";
            if (QuantizationGuarantee.Refusal(check, guarantee, hint) is { } refusal)
                throw new CheckFailedException(refusal + (note is null ? "" : $" ({note})"));
            string? overrideNote = QuantizationGuarantee.OverrideNote(check);

            var package = ModelPackage.Write(outDir, tmp, source.Manifest with
            {
                Name = name, Precision = "int8", ModelSha256 = null, CreatedUtc = null, Gate = null,
                Quantization = new QuantizationInfo(
                    Method(options.Quantize.Mode, quantize, report),
                    $"{quantize.ActivationType}/{quantize.WeightType}{(quantize.PerChannel ? " per-channel" : "")}",
                    quantize.NeedsCalibration ? quantize.Calibration.Method.ToString() : null,
                    quantize.NeedsCalibration ? options.CalibrationSamples : 0,
                    [.. kept, .. report.KeptInFloat.Select(f => $"{f.Name} ({f.OpType}: {f.Reason})").Take(64)],
                    report.Quantized.Count, source.Manifest.ModelSha256,
                    new QuantizationCheck(check.Fp32Top1, check.Int8Top1, check.Samples, [.. check.BatchSizes], [.. check.Speedups],
                        check.AccuracyMet && check.SpeedMet, overrideNote)),
            });
            string summary = string.Join("\n", new[] { report.ToString(), note, $"guarantee: {check}", overrideNote is null ? null : "WARNING: " + overrideNote }.Where(s => s is not null));
            return new QuantizePackageResult(package, report, summary, check);
        }
        finally
        {
            AtomicFile.TryDelete(tmp);
            AtomicFile.TryDelete(tmp + ".search.onnx");
        }
    }

    /// <summary>The quantization itself, by mode: auto (measured), a fixed mode with a sensitivity search, or a fixed mode.</summary>
    private static (QuantizeReport Report, QuantizeOptions Options, IReadOnlyList<string> Kept, string? Note) QuantizeInto(
        ModelPackage source, string tmp, QuantizePackageOptions options, GuaranteeOptions guarantee, PackageImages images,
        Calibration.ICalibrationSource calibration, ISpeedProbe probe, IProgressHost progress)
    {
        if (options.Quantize.Mode == QuantizationMode.Auto)
        {
            using var step = progress.Begin("auto: measure int8 forms, fall back layer by layer where needed", 1, "searches");
            var auto = AutoQuantizer.Run(source.ModelPath, tmp, options.Quantize, calibration, probe, images.Holdout.Top1, new AutoOptions
            {
                MaxDrop = guarantee.MaxTop1DropPoints / 100.0,
                Rounds = guarantee.Rounds,
                MinSpeedup = guarantee.MinSpeedup,
                LayerSearch = options.LayerSearch,
                Search = new SpeedSearchOptions { MaxSizeRatio = options.MaxSizeRatio },
            });
            var kept = auto.KeptForSpeed.Select(k => $"{k} (speed: float is faster)").Concat(auto.KeptForAccuracy.Select(k => $"{k} (sensitivity)")).ToArray();
            string note = $"auto → {auto.Chosen} ({string.Join("; ", auto.Candidates.Select(c => Describe(c, auto.FloatMetric, probe.BatchSizes)))}); "
                + $"{auto.KeptForSpeed.Count} layer(s) kept float for speed, {auto.KeptForAccuracy.Count} for accuracy";
            return (auto.Report, auto.Options, kept, note);
        }
        if (options.AccuracyBudgetPoints is { } budget)
        {
            using var step = progress.Begin("sensitivity search", 1, "searches");
            var result = SensitivitySearch.Run(source.ModelPath, tmp, options.Quantize, calibration, images.Holdout.Top1, new SensitivityOptions { MaxDrop = budget / 100.0 });
            return (result.Report, options.Quantize, [.. result.KeptInFloat.Select(k => $"{k} (sensitivity)")], null);
        }
        using (progress.Begin("calibrate + quantize", 1, "models"))
            return (OnnxQuantizer.Quantize(source.ModelPath, tmp, options.Quantize, calibration), options.Quantize, [], null);
    }

    private static string Describe(AutoCandidate c, double? fp32, IReadOnlyList<int> batchSizes)
    {
        if (c.SameAs is not null) return $"{c.Name} = {c.SameAs}";
        string speed = string.Join(", ", batchSizes.Select((b, i) => $"b{b} {c.Speedups[i]:0.00}x"));
        return c.Metric is null ? $"{c.Name} {speed}"
            : c.WithinBudget ? $"{c.Name} {speed}, top-1 {100 * c.Metric:0.00}%"
            : $"{c.Name} {speed}, over the accuracy budget (top-1 {100 * c.Metric:0.00}% vs fp32 {100 * fp32:0.00}% on held-out train images)";
    }

    private static string Method(QuantizationMode requested, QuantizeOptions used, QuantizeReport report) =>
        (requested == QuantizationMode.Auto ? "Auto→" : "") + used.Mode
        + (report.FusedAttention > 0 ? $" + {report.FusedAttention} fused attention" : "")
        + string.Concat(report.GraphPasses.Where(p => p.Value > 0).Select(p => $" + {p.Key} x{p.Value}"))
        + (report.Quantized.Count(q => q.Kernel.StartsWith("QLinearConv 1x1", StringComparison.Ordinal)) is var asConv and > 0
            ? $" + {asConv} Linear as QLinearConv (≤ {used.QLinearConvMaxRows} rows)" : "");
}
