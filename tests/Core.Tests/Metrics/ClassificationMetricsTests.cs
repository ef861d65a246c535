using Edge.Core.Metrics;
using Xunit;

namespace Edge.Core.Tests.Metrics;

public class ClassificationMetricsTests
{
    private static readonly float[] Logits =
    [
        3, 1, 0,   // top-1 0
        0, 2, 5,   // top-1 2
        1, 1, 0,   // tie → 0
        0, 0, 9,   // top-1 2
    ];

    [Fact]
    public void TopKAndMatches()
    {
        var p = new Predictions(Logits, 4, 3);
        Assert.Equal([0, 2, 0, 2], p.Top1);
        int[] labels = [0, 1, 1, 2];
        Assert.Equal(new byte[] { 1, 0, 0, 1 }, p.Matches(labels));
        Assert.Equal(new byte[] { 1, 1, 1, 1 }, p.TopKCorrect(labels, 2));
        Assert.Equal(new byte[] { 1, 0, 0, 1 }, p.TopKCorrect(labels, 1));
    }

    [Fact]
    public void KlIsZeroForIdenticalLogitsAndMatchesTheDefinition()
    {
        var p = new Predictions(Logits, 4, 3);
        Assert.Equal(0, Divergence.MeanKl(p, p), 12);
        var a = new Predictions([0f, 0f], 1, 2);            // (½, ½)
        var b = new Predictions([0f, MathF.Log(3)], 1, 2);  // (¼, ¾)
        double expected = 0.5 * Math.Log(0.5 / 0.25) + 0.5 * Math.Log(0.5 / 0.75);
        Assert.Equal(expected, Divergence.MeanKl(a, b), 6);
    }

    [Fact]
    public void EceIsZeroWhenConfidenceEqualsAccuracy()
    {
        // Ten samples at confidence 0.7, seven right.
        var conf = Enumerable.Repeat(0.7, 10).ToArray();
        var correct = Enumerable.Range(0, 10).Select(i => i < 7 ? (byte)1 : (byte)0).ToArray();
        Assert.Equal(0, CalibrationResult.Compute(conf, correct).Ece, 12);
        // Always confident (0.95) but only half right: ECE = 0.45.
        var over = CalibrationResult.Compute(Enumerable.Repeat(0.95, 10).ToArray(), correct.Select((_, i) => i % 2 == 0 ? (byte)1 : (byte)0).ToArray());
        Assert.Equal(0.45, over.Ece, 12);
        Assert.Equal(10, over.Bins.Sum(b => b.Count));
    }

    [Fact]
    public void ConfusionMatrixAndPerClassAccuracy()
    {
        var m = new ConfusionMatrix([0, 0, 1, 1, 1, 2], [0, 1, 1, 1, 0, 2], 4);
        Assert.Equal(1, m.Counts[0][1]);
        Assert.Equal(2, m.Counts[1][1]);
        var acc = m.PerClassAccuracy();
        Assert.Equal(0.5, acc[0]);
        Assert.Equal(2.0 / 3, acc[1], 12);
        Assert.Equal(1, acc[2]);
        Assert.True(double.IsNaN(acc[3]));
    }

    [Fact]
    public void NormalQuantile()
    {
        Assert.Equal(1.959964, Normal.Quantile(0.975), 5);
        Assert.Equal(1.644854, Normal.Quantile(0.95), 5);
        Assert.Equal(0, Normal.Quantile(0.5), 9);
        Assert.Equal(-2.326348, Normal.Quantile(0.01), 5);
    }
}
