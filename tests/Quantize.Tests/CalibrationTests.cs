using Edge.Quantize;
using Edge.Quantize.Calibration;
using Edge.Onnx;
using Edge.Onnx.Graph;
using Edge.Quantize.Passes;
using Xunit;

namespace Edge.Quantize.Tests;

public sealed class CalibrationTests
{
    [Fact]
    public void Quant_params_cover_the_range_and_keep_zero_exact()
    {
        var u8 = QuantParams.FromRange(0f, 2.55f, QuantType.UInt8, symmetric: false);
        Assert.Equal(0.01f, u8.Scale, 6);
        Assert.Equal(0, u8.ZeroPoint);
        Assert.True(u8.ClampsAtZero);
        Assert.Equal(255, u8.Quantize(3f));

        var s8 = QuantParams.FromRange(-1f, 2f, QuantType.Int8, symmetric: true);
        Assert.Equal(0, s8.ZeroPoint);
        Assert.Equal(4f / 254, s8.Scale, 6);
        Assert.Equal(0, s8.Quantize(0f));

        var shifted = QuantParams.FromRange(0.5f, 1f, QuantType.UInt8, symmetric: false); // widened to include 0
        Assert.Equal(0, shifted.ZeroPoint);
    }

    [Fact]
    public void Percentile_and_entropy_clip_a_rare_outlier_that_minmax_keeps()
    {
        var g = new TinyGraph();
        g.Output(g.Op("Identity", [g.Input("x", 1000)]));
        var model = g.Build();
        var rng = new Random(4);
        var batches = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 1000).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToList();
        batches[2][17] = 50f; // one value in 4,000
        var source = new CalibrationSource([1000], batches);
        float Max(CalibrationMethod m) => RangeCollector.Collect(model, source, new CalibrationOptions { Method = m, Percentile = 99.9 }).Ranges["x"].Max;
        Assert.Equal(50f, Max(CalibrationMethod.MinMax));
        Assert.InRange(Max(CalibrationMethod.Percentile), 0.9f, 1.2f);
        Assert.InRange(Max(CalibrationMethod.Entropy), 0.5f, 1.5f);
    }
}
