using Edge.Core.Metrics;
using Xunit;

namespace Edge.Core.Tests.Metrics;

public class McNemarTests
{
    [Fact]
    public void ExactPValuesMatchTheBinomial()
    {
        // 10 discordant pairs all against the candidate: P(X >= 10) = 0.5^10, two-sided twice that.
        var m = McNemar.FromCounts(10, 0);
        Assert.Equal(Math.Pow(0.5, 10), m.PCandidateWorse, 12);
        Assert.Equal(2 * Math.Pow(0.5, 10), m.PTwoSided, 12);
        // Balanced: no evidence either way.
        var even = McNemar.FromCounts(7, 7);
        Assert.Equal(1, even.PTwoSided, 12);
        Assert.Equal(1, McNemar.FromCounts(0, 0).PTwoSided);
    }

    [Fact]
    public void BinomialCdfKnownValues()
    {
        Assert.Equal(0.5, McNemar.BinomialCdf(2, 5), 12);          // symmetric: P(X <= 2 | 5) = 16/32
        Assert.Equal(1.0 / 1024, McNemar.BinomialCdf(0, 10), 12);
        Assert.Equal(0.5 + 0.5 * 0.017838, McNemar.BinomialCdf(1000, 2000), 4); // ½ + ½·P(X = n/2), P(X = n/2) ≈ 1/√(πn/2)
    }

    [Fact]
    public void CountsDiscordantPairs()
    {
        var m = McNemar.Test(new byte[] { 1, 1, 0, 0, 1 }, new byte[] { 0, 1, 1, 0, 0 });
        Assert.Equal(2, m.OnlyReference);
        Assert.Equal(1, m.OnlyCandidate);
        Assert.Equal(3, m.Discordant);
    }
}
