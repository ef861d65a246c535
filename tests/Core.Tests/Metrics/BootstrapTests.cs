using Edge.Core.Metrics;
using Xunit;

namespace Edge.Core.Tests.Metrics;

public class BootstrapTests
{
    [Fact]
    public void SameSeedSameInterval_DifferentSeedDifferentInterval()
    {
        var values = Enumerable.Range(0, 1000).Select(i => i % 10 < 9 ? 1.0 : 0.0).ToArray();
        var a = new Bootstrap(500, seed: 1).Mean(values, 0.95);
        var b = new Bootstrap(500, seed: 1).Mean(values, 0.95);
        var c = new Bootstrap(500, seed: 2).Mean(values, 0.95);
        Assert.Equal(a, b);
        Assert.NotEqual(a.Lower, c.Lower);
        Assert.Equal(0.9, a.Estimate, 12);
    }

    /// <summary>For a proportion the percentile interval is close to the binomial normal interval p ± 1.96·√(p(1−p)/n).</summary>
    [Fact]
    public void IntervalMatchesTheBinomialStandardError()
    {
        var values = Enumerable.Range(0, 2000).Select(i => i % 5 == 0 ? 0.0 : 1.0).ToArray();
        var ci = new Bootstrap(2000, seed: 3).Mean(values, 0.95);
        double se = Math.Sqrt(0.8 * 0.2 / 2000);
        Assert.InRange(ci.Upper - ci.Lower, 2 * 1.96 * se * 0.85, 2 * 1.96 * se * 1.15);
        Assert.True(ci.Lower < 0.8 && 0.8 < ci.Upper);
    }

    [Fact]
    public void ZeroVarianceGivesAPointInterval()
    {
        var diff = Bootstrap.PairedDifference(new byte[] { 1, 0, 1, 1 }, new byte[] { 1, 0, 1, 1 });
        var summary = new Bootstrap(100).Summarize(diff, 0.95, 100);
        Assert.Equal(0, summary.Interval.Lower);
        Assert.Equal(0, summary.Interval.Upper);
        Assert.Equal(0, summary.LowerBound);
    }

    [Fact]
    public void OneSidedBoundsLieInsideTheTwoSidedInterval()
    {
        var values = Enumerable.Range(0, 500).Select(i => (i * 7919 % 13) < 4 ? 1.0 : 0.0).ToArray();
        var s = new Bootstrap(1000).Summarize(values, 0.95);
        Assert.True(s.Interval.Lower <= s.LowerBound && s.LowerBound <= s.Interval.Estimate);
        Assert.True(s.Interval.Estimate <= s.UpperBound && s.UpperBound <= s.Interval.Upper);
    }

    [Fact]
    public void QuantileInterpolates()
    {
        Assert.Equal(2.5, Bootstrap.Quantile([1, 2, 3, 4], 0.5));
        Assert.Equal(1, Bootstrap.Quantile([1, 2, 3, 4], 0));
        Assert.Equal(4, Bootstrap.Quantile([1, 2, 3, 4], 1));
    }
}
