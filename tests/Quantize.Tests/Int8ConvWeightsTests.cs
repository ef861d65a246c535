using Edge.Quantize;
using Edge.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using static Edge.Quantize.Tests.QuantizeTestKit;

namespace Edge.Quantize.Tests;

/// <summary>The int8-conv-weights graph pass: close to float, smaller, and folded back to a float weight by ONNX Runtime at load.</summary>
public sealed class Int8ConvWeightsTests : IDisposable
{
    private const string Pass = "int8-conv-weights";
    private readonly string _dir = TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Input, string Output, QuantizeReport Report) Build()
    {
        var g = new TinyGraph(seed: 21);
        string x = g.Input("x", 8, 6, 6);
        string a = g.Op("Relu", [g.Conv(x, 8, 16)]);   // 16·8·9 = 1152 weights: rewritten
        g.Output(g.Conv(a, 16, 4, k: 1));              // 64 weights: below the threshold, left alone
        string input = g.Save(_dir, "convs.onnx");
        string output = Path.Combine(_dir, "convs.w8.onnx");
        var report = OnnxQuantizer.Quantize(input, output, new QuantizeOptions { Mode = QuantizationMode.Dynamic, OpTypes = [], GraphPasses = [Pass] }, ranges: null);
        return (input, output, report);
    }

    [Fact]
    public void Large_conv_weights_are_stored_as_int8_and_stay_close_to_float()
    {
        var (input, output, report) = Build();
        Assert.Equal(1, report.GraphPasses[Pass]);
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(output));
        Assert.Contains(model.Graph.Initializer, t => t.DataType == (int)TensorProto.Types.DataType.Int8 && t.Dims.SequenceEqual(new long[] { 16, 8, 3, 3 }));
        Assert.DoesNotContain(model.Graph.Initializer, t => t.DataType == (int)TensorProto.Types.DataType.Float && t.Dims.SequenceEqual(new long[] { 16, 8, 3, 3 }));
        Assert.True(new FileInfo(output).Length < new FileInfo(input).Length * 0.5, "the file should shrink by most of the rewritten weight");
        var x = RandomBatch(3, [8, 6, 6], seed: 22);
        double err = RelativeError(Run(input, x, [3, 8, 6, 6]), Run(output, x, [3, 8, 6, 6]));
        Assert.True(err is > 0 and < 0.02, $"relative error {err:F4}");
    }

    [Fact]
    public void Onnx_runtime_folds_the_rebuilt_weight_into_a_constant_at_load()
    {
        var (_, output, _) = Build();
        var ops = OrtOptimizedOpCounts(output, GraphOptimizationLevel.ORT_ENABLE_BASIC);
        Assert.Equal(0, ops.Count("Cast"));
        Assert.Equal(0, ops.Count("Mul"));
        Assert.Equal(2, ops.Count("Conv"));
    }
}
