using Edge.Core;
using Edge.Quantize.Calibration;

namespace Edge.Quantize.Sensitivity;

/// <summary>
/// Finds which layers to keep in float so that a metric (higher is better: accuracy, agreement with fp32 or
/// the teacher) stays within a budget of fp32. Calibrates once; measures each quantized layer's recovery when
/// it alone stays float; then keeps the most sensitive in float, one at a time, until the budget is met.
/// </summary>
public static class SensitivitySearch
{
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
            (double Metric, QuantizeReport Report) Trial(IReadOnlyList<string> keep)
            {
                string path = Path.Combine(dir, $"trial{trialNo++}.onnx");
                var report = OnnxQuantizer.Quantize(inputPath, path, options with { KeepInFloat = [.. options.KeepInFloat, .. keep] }, ranges);
                double metric = evaluate(path);
                evaluations++;
                File.Delete(path);
                return (metric, report);
            }
            bool Meets(double m) => fp32 - m <= search.MaxDrop;

            var (baseMetric, baseReport) = Trial([]);
            var layers = new List<LayerSensitivity>();
            var kept = new List<string>();
            double best = baseMetric, achieved = baseMetric;
            if (!Meets(baseMetric))
            {
                var candidates = baseReport.Quantized.Where(q => search.CandidateOpTypes.Contains(q.OpType)).ToArray();
                foreach (var c in candidates)
                {
                    double m = Trial([c.Name]).Metric;
                    layers.Add(new LayerSensitivity(c.Name, c.OpType, m, m - baseMetric));
                }
                layers.Sort((a, b) => b.Gain.CompareTo(a.Gain));
                bool met = false;
                foreach (var layer in layers.Take(search.MaxFloatLayers))
                {
                    kept.Add(layer.Node);
                    double m = kept.Count == 1 ? layer.MetricWithLayerFloat : Trial(kept).Metric;
                    best = Math.Max(best, m);
                    if (Meets(m)) { met = true; achieved = m; break; }
                }
                if (!met)
                {
                    string blocking = string.Join(", ", layers.Take(5).Select(l => $"{l.Node} ({l.OpType}, +{l.Gain:0.###})"));
                    throw new SensitivityBudgetException(
                        $"accuracy budget not met: fp32 {fp32:0.####}, best int8 {best:0.####} (drop {fp32 - best:0.####} > {search.MaxDrop}) with {kept.Count} layer(s) in float; most sensitive: {blocking}. Raise the budget, calibrate on more data, or keep more layers in float",
                        fp32, best, kept.ToArray(), layers);
                }
            }
            var finalReport = OnnxQuantizer.Quantize(inputPath, outputPath, options with { KeepInFloat = [.. options.KeepInFloat, .. kept] }, ranges);
            return new SensitivityResult(finalReport, fp32, achieved, kept, layers, evaluations);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
