using Edge.Core;
using Edge.Distill.Training;
using Edge.Testing;
using SkiaSharp;
using Xunit;

namespace Edge.Distill.Tests.Training;

/// <summary>
/// The run's curves and the loss comparison chart are readable: a title, axis labels and tick labels are drawn (text
/// pixels in the bands where ScottPlot puts them; without a registered font those bands stay blank), the data is
/// drawn in the palette's colour, and a loss table round-trips through its JSON.
/// </summary>
public class ChartsTests
{
    private static readonly EpochMetrics[] Metrics =
    [
        new(1, 1.92, 900, 0.801, 0.823, 1e-3, 40),
        new(2, 1.31, 910, 0.862, 0.884, 8e-4, 40),
        new(3, 1.05, 905, 0.887, 0.905, 1e-5, 40),
    ];

    [Fact]
    public void TrainingCurvesHaveTitleAxisLabelsTicksAndData()
    {
        using var dir = new TempDir();
        TrainingCurves.Write(dir.Path, Metrics);
        foreach (var name in new[] { "loss.png", "accuracy.png", "agreement.png" })
        {
            using var bitmap = SKBitmap.Decode(dir.File(name));
            Assert.Equal(TrainingCurves.Width, bitmap.Width);
            Assert.Equal(TrainingCurves.Height, bitmap.Height);
            AssertText(bitmap, name);
            Assert.True(CountPixels(bitmap, 0, bitmap.Width, 0, bitmap.Height, IsPaletteBlue) > 200, $"{name}: no data line in the palette's first colour");
        }
        using var accuracy = SKBitmap.Decode(dir.File("accuracy.png"));
        Assert.True(CountPixels(accuracy, 0, accuracy.Width, 0, accuracy.Height, IsPaletteOrange) > 200, "accuracy.png: the agreement line is missing");
    }

    [Fact]
    public void LossComparisonRoundTripsAndDrawsItsBars()
    {
        using var dir = new TempDir();
        var table = new LossComparison("Losses", "1 epoch, 2000 images", [
            new("ce=1", [0, 1], [0.80, 0.81], [0.82, 0.83]),
            new("kd=1,ce=0.5", [0, 1], [0.84, 0.85], [0.88, 0.87]),
        ]);
        table.Write(dir.File("losses.json"));
        var back = LossComparison.Read(dir.File("losses.json"));
        Assert.Equal(table.Rows.Select(r => r.Loss), back.Rows.Select(r => r.Loss));
        Assert.Equal(0.845, LossComparisonRow.Summary(back.Rows[1].TestTop1).Mean, 12);
        LossComparisonChart.Write(dir.File("losses.png"), back);
        using var bitmap = SKBitmap.Decode(dir.File("losses.png"));
        AssertText(bitmap, "losses.png");
        Assert.True(CountPixels(bitmap, 0, bitmap.Width, 0, bitmap.Height, IsPaletteBlue) > 2000, "no top-1 bars");
        Assert.True(CountPixels(bitmap, 0, bitmap.Width, 0, bitmap.Height, IsPaletteOrange) > 2000, "no agreement bars");
    }

    [Fact]
    public void ALossTableWithMissingValuesIsRejectedWithItsRow()
    {
        using var dir = new TempDir();
        new LossComparison("Losses", "b", [new("dkd=1", [0, 1], [0.8], [0.8, 0.8])]).Write(dir.File("bad.json"));
        var e = Assert.Throws<EdgeException>(() => LossComparison.Read(dir.File("bad.json")));
        Assert.Contains("'dkd=1'", e.Message);
        Assert.Throws<EdgeException>(() => LossComparison.Read(dir.File("missing.json")));
    }

    /// <summary>Dark (text) pixels in the title band, the y-label band and the x tick-label band.</summary>
    private static void AssertText(SKBitmap b, string name)
    {
        int w = b.Width, h = b.Height;
        Assert.True(CountPixels(b, w / 4, 3 * w / 4, 0, h / 12, IsInk) > 40, $"{name}: no title");
        Assert.True(CountPixels(b, 0, w / 40 + 4, h / 4, 3 * h / 4, IsInk) > 20, $"{name}: no y-axis label");
        Assert.True(CountPixels(b, w / 8, 7 * w / 8, h - h / 6, h - h / 12, IsInk) > 15, $"{name}: no x tick labels");
        Assert.True(CountPixels(b, w / 3, 2 * w / 3, h - h / 12, h, IsInk) > 15, $"{name}: no x-axis label");
    }

    private static int CountPixels(SKBitmap b, int x0, int x1, int y0, int y1, Func<SKColor, bool> test)
    {
        int n = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                if (test(b.GetPixel(x, y))) n++;
        return n;
    }

    private static bool IsInk(SKColor c) => c.Red < 110 && c.Green < 110 && c.Blue < 110 && c.Alpha > 200;
    // Category10's first two colours: #1f77b4 (blue) and #ff7f0e (orange).
    private static bool IsPaletteBlue(SKColor c) => Math.Abs(c.Red - 0x1f) < 30 && Math.Abs(c.Green - 0x77) < 30 && Math.Abs(c.Blue - 0xb4) < 30;
    private static bool IsPaletteOrange(SKColor c) => Math.Abs(c.Red - 0xff) < 30 && Math.Abs(c.Green - 0x7f) < 30 && Math.Abs(c.Blue - 0x0e) < 30;
}
