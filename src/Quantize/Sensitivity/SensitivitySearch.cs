using Edge.Core;
using Edge.Quantize.Calibration;

namespace Edge.Quantize.Sensitivity;

/// <summary>
/// Finds which layers to keep in float so that a metric (higher is better: accuracy, agreement with fp32 or the
/// teacher) stays within a budget of fp32: the layer-by-layer accuracy fallback. Calibrates once, ranks the quantized
/// layers by the noise each adds (<see cref="LayerErrorRanking"/>, one pass over a few calibration samples), then keeps
/// the 1, 2, 4, 8, … worst in float until the budget is met: a handful of evaluations instead of one per layer.
/// </summary>
public static class SensitivitySearch
{
    /// <summary>Samples of the first calibration batch fed to the ranking pass.</summary>
    public const int RankingSamples = 32;

    /// <param name="evaluate">Scores an ONNX file (higher is better); called on fp32, then on trial int8 models.</param>
    public static SensitivityResult Run(string inputPath, string outputPath, QuantizeOptions options, ICalibrationSource? calibration,
        Func<string, double> evaluate, SensitivityOptions? search = null)
    {
        search ??= new SensitivityOptions();
        search.Validate();
        options.Validate();
        ModelFile.CheckDistinct(inputPath, outputPath);
        var model = ModelFile.Load(inputPath);
        ModelInputs.SingleFloatInput(model);
        TensorRangeSet? ranges = null;
        if (options.NeedsCalibration)
        {
            if (calibration is null) throw new EdgeException($"{options.CalibratedForm} quantization needs a calibration set");
            ranges = OnnxQuantizer.Calibrate(model, options, calibration);
        }

        string dir = Path.Combine(Path.GetTempPath(), "edge-sensitivity-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        int evaluations = 0;
        try
        {
            double fp32 = evaluate(inputPath);
            evaluations++;
            int trialNo = 0;
            (double Metric, QuantizeReport Report, string Path) Trial(IReadOnlyList<string> keep)
            {
                string path = Path.Combine(dir, $"trial{trialNo++}.onnx");
                var report = OnnxQuantizer.Quantize(inputPath, path, options with { KeepInFloat = [.. options.KeepInFloat, .. keep] }, ranges);
                evaluations++;
                return (evaluate(path), report, path);
            }
            bool Meets(double m) => fp32 - m <= search.MaxDrop;

            var (baseMetric, baseReport, basePath) = Trial([]);
            if (Meets(baseMetric))
            {
                File.Copy(basePath, outputPath, overwrite: true);
                return new SensitivityResult(baseReport, fp32, baseMetric, [], [], evaluations);
            }
            var samples = calibration?.Batches().First() ?? throw new EdgeException("the sensitivity ranking needs calibration samples");
            long sampleLength = calibration.SampleShape.Aggregate(1L, (a, b) => a * b);
            samples = samples[..(int)(Math.Min(RankingSamples, samples.Length / sampleLength) * sampleLength)];
            var layers = LayerErrorRanking.Rank(inputPath, basePath, options, baseReport, samples, [.. calibration.SampleShape])
                .Where(l => search.CandidateOpTypes.Contains(l.OpType)).ToList();
            double best = baseMetric;
            IReadOnlyList<string> bestKept = [];
            // 1, 2, 4, … and finally the limit itself.
            int limit = Math.Min(search.MaxFloatLayers, layers.Count);
            var counts = new List<int>();
            for (int k = 1; k < limit; k *= 2) counts.Add(k);
            if (limit > 0) counts.Add(limit);
            foreach (int k in counts)
            {
                var keep = layers.Take(k).Select(l => l.Node).ToArray();
                var (metric, report, path) = Trial(keep);
                if (metric > best) (best, bestKept) = (metric, keep);
                if (Meets(metric))
                {
                    File.Copy(path, outputPath, overwrite: true);
                    return new SensitivityResult(report, fp32, metric, keep, layers, evaluations);
                }
            }
            string blocking = string.Join(", ", layers.Take(5).Select(l => $"{l.Node} ({l.OpType}, noise +{l.AddedNoise:0.####})"));
            throw new SensitivityBudgetException(
                $"accuracy budget not met: fp32 {fp32:0.####}, best int8 {best:0.####} (drop {fp32 - best:0.####} > {search.MaxDrop}) with {bestKept.Count} layer(s) in float; most sensitive: {blocking}. Raise the budget, calibrate on more data, or keep more layers in float",
                fp32, best, bestKept, layers);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
