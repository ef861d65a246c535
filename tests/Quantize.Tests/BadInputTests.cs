using Edge.Core;
using Edge.Quantize;
using Edge.Quantize.Calibration;
using Edge.Quantize.Fp16;
using Edge.Quantize.Mobile;
using Xunit;
using static Edge.Quantize.Tests.QuantizeTestKit;

namespace Edge.Quantize.Tests;

/// <summary>Bad inputs give one clear <see cref="EdgeException"/> and leave no output file behind.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Output => Path.Combine(_dir, "out.onnx");

    private void AssertNoOutput() =>
        Assert.DoesNotContain(Directory.EnumerateFiles(_dir), f => !f.EndsWith("in.onnx") && !f.EndsWith("model.onnx"));

    private static string SmallModel(string dir)
    {
        var g = new TinyGraph();
        g.Output(g.Conv(g.Input("x", 1, 4, 4), 1, 2));
        return g.Save(dir);
    }

    [Fact]
    public void A_file_that_is_not_onnx()
    {
        string input = Path.Combine(_dir, "in.onnx");
        File.WriteAllText(input, "this is not a model, just some text\n");
        var e = Assert.Throws<EdgeException>(() => OnnxQuantizer.Quantize(input, Output, new QuantizeOptions { Mode = QuantizationMode.Dynamic }));
        Assert.Contains("ONNX", e.Message);
        AssertNoOutput();
    }

    [Fact]
    public void A_truncated_model()
    {
        byte[] bytes = File.ReadAllBytes(SmallModel(_dir));
        string input = Path.Combine(_dir, "in.onnx");
        File.WriteAllBytes(input, bytes.AsSpan(0, bytes.Length - 40).ToArray());
        var e = Assert.Throws<EdgeException>(() => OnnxQuantizer.Quantize(input, Output, new QuantizeOptions { Mode = QuantizationMode.Dynamic }));
        Assert.Contains("ONNX", e.Message);
        Assert.Throws<EdgeException>(() => Fp16Converter.Convert(input, Output));
        Assert.Throws<EdgeException>(() => OrtFormatConverter.Convert(input, Path.Combine(_dir, "out.ort")));
        AssertNoOutput();
    }

    [Fact]
    public void A_model_with_no_float_input()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 4);
        g.Output(g.Op("Identity", [x]));
        var model = g.Build();
        model.Graph.Input[0].Type.TensorType.ElemType = 7; // int64
        model.Graph.Output[0].Type.TensorType.ElemType = 7;
        string input = Path.Combine(_dir, "in.onnx");
        File.WriteAllBytes(input, Google.Protobuf.MessageExtensions.ToByteArray(model));
        var e = Assert.Throws<EdgeException>(() => OnnxQuantizer.Quantize(input, Output, new QuantizeOptions(), CalibrationSet([4])));
        Assert.Contains("no float32 input", e.Message);
        Assert.Throws<EdgeException>(() => Fp16Converter.Convert(input, Output));
        AssertNoOutput();
    }

    [Fact]
    public void An_empty_calibration_set()
    {
        string input = SmallModel(_dir);
        var empty = new CalibrationSource([1, 4, 4], Array.Empty<float[]>());
        var e = Assert.Throws<EdgeException>(() => OnnxQuantizer.Quantize(input, Output, new QuantizeOptions(), empty));
        Assert.Contains("calibration set is empty", e.Message);
        var missing = Assert.Throws<EdgeException>(() => OnnxQuantizer.Quantize(input, Output, new QuantizeOptions(), calibration: null));
        Assert.Contains("calibration", missing.Message);
        AssertNoOutput();
    }

    [Fact]
    public void Writing_over_the_input_is_refused()
    {
        string input = SmallModel(_dir);
        byte[] before = File.ReadAllBytes(input);
        Assert.Throws<EdgeException>(() => OnnxQuantizer.Quantize(input, input, new QuantizeOptions { Mode = QuantizationMode.Dynamic }));
        Assert.Equal(before, File.ReadAllBytes(input));
    }
}
