using Edge.Quantize;
using Edge.Quantize.Fp16;
using Edge.Quantize.Mobile;
using Edge.Quantize.Sensitivity;
using Xunit;
using static Edge.Quantize.Tests.QuantizeTestKit;

namespace Edge.Quantize.Tests;

/// <summary>FP16 conversion, ORT format and the sensitivity search, on a small CNN.</summary>
public sealed class ConverterTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly long[] Sample = [1, 12, 12];

    private string SmallCnn()
    {
        var g = new TinyGraph(seed: 3);
        string x = g.Input("input", Sample);
        string h = g.Op("Relu", [g.Conv(x, 1, 8)]);
        h = g.Op("MaxPool", [h], ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        h = g.Op("Relu", [g.Op("Add", [h, g.Conv(g.Op("Relu", [g.Conv(h, 8, 8)]), 8, 8)])]);
        h = g.Op("Flatten", [g.Op("GlobalAveragePool", [h])]);
        g.Output(g.Op("Gemm", [h, g.Weight("fc", [10, 8]), g.Weight("fcb", [10])], ("transB", 1L)));
        return g.Save(_dir, "cnn.onnx");
    }

    [Fact]
    public void Fp16_keeps_a_float32_interface_and_matches_float32()
    {
        string input = SmallCnn();
        string output = Path.Combine(_dir, "cnn.fp16.onnx");
        var report = Fp16Converter.Convert(input, output);
        Assert.Equal(8, report.InitializersConverted);
        var ops = OpCounts(output);
        Assert.Equal(2, ops.Count("Cast"));
        var x = RandomBatch(4, Sample, 5);
        float[] expected = Run(input, x, [4, .. Sample]), actual = Run(output, x, [4, .. Sample]);
        Assert.True(RelativeError(expected, actual) < 0.01, $"relative error {RelativeError(expected, actual):F4}");
        Assert.True(report.OutputBytes < report.InputBytes);
    }

    [Fact]
    public void Ort_format_reproduces_the_onnx_outputs_and_lists_its_operators()
    {
        string fp32 = SmallCnn();
        string int8 = Path.Combine(_dir, "cnn.int8.onnx");
        OnnxQuantizer.Quantize(fp32, int8, new QuantizeOptions(), CalibrationSet(Sample));
        string ort = Path.Combine(_dir, "cnn.int8.ort");
        var report = OrtFormatConverter.Convert(int8, ort);
        Assert.True(File.Exists(ort));
        var x = RandomBatch(3, Sample, 11);
        float[] expected = Run(int8, x, [3, .. Sample]), actual = Run(ort, x, [3, .. Sample]);
        Assert.Equal(expected, actual);
        Assert.Contains(report.Operators, o => o.Domain == "com.microsoft" && o.OpTypes.Contains("QGemm"));
        string config = File.ReadAllText(report.OperatorsConfigPath);
        Assert.Matches(@"(?m)^ai\.onnx;17;.*QuantizeLinear", config);
        Assert.Contains("uint8_t", File.ReadAllText(report.OperatorsAndTypesConfigPath));
        Assert.Empty(Directory.EnumerateFiles(_dir, "*.tmp*"));
    }

    [Fact]
    public void Sensitivity_search_keeps_the_noisiest_layers_float_until_the_budget_is_met()
    {
        string input = SmallCnn();
        string output = Path.Combine(_dir, "cnn.searched.onnx");
        var x = RandomBatch(16, Sample, 100);
        float[] reference = Run(input, x, [16, .. Sample]);
        // Metric: negative mean relative error against fp32 (0 is perfect).
        double Metric(string path) => -MeanRelativeError(reference, Run(path, x, [16, .. Sample]));
        var options = new QuantizeOptions { Calibration = new() { Method = Edge.Quantize.Calibration.CalibrationMethod.Percentile, Percentile = 90 } };
        double baseError = -Metric(QuantizeOnce(input, options));

        var result = SensitivitySearch.Run(input, output, options, CalibrationSet(Sample), Metric, new SensitivityOptions { MaxDrop = baseError / 3 });
        Assert.NotEmpty(result.KeptInFloat);
        Assert.True(result.FloatMetric - result.QuantizedMetric <= baseError / 3);
        Assert.Equal(result.KeptInFloat.Count, result.Report.KeptInFloat.Count(k => k.Reason.Contains("keep-in-float")));
        Assert.True(File.Exists(output));

        string impossible = Path.Combine(_dir, "cnn.impossible.onnx");
        var e = Assert.Throws<SensitivityBudgetException>(() => SensitivitySearch.Run(input, impossible, options, CalibrationSet(Sample), Metric,
            new SensitivityOptions { MaxDrop = 0, MaxFloatLayers = 1 }));
        Assert.Contains("most sensitive", e.Message);
        Assert.NotEmpty(e.Layers);
        Assert.True(e.KeptInFloat.Count <= 1); // the best trial within MaxFloatLayers = 1 (none, if float did not help)
        Assert.False(File.Exists(impossible));
    }

    private string QuantizeOnce(string input, QuantizeOptions options)
    {
        string path = Path.Combine(_dir, "once.onnx");
        OnnxQuantizer.Quantize(input, path, options, CalibrationSet(Sample));
        return path;
    }
}
