using Edge.Distill.Augment;
using Xunit;

namespace Edge.Distill.Tests.Augment;

public class AugmentTests
{
    [Fact]
    public void SameSeedSameDraw_DifferentEpochDifferentSeed()
    {
        var a = new FlipTranslate(1, 4, 4);
        Assert.Equal(a.Draw(SeededRng.SampleSeed(1, 2, 3)), a.Draw(SeededRng.SampleSeed(1, 2, 3)));
        Assert.NotEqual(SeededRng.SampleSeed(1, 2, 3), SeededRng.SampleSeed(1, 3, 3));
        var draws = Enumerable.Range(0, 200).Select(i => a.Draw(SeededRng.SampleSeed(0, 1, i))).ToArray();
        Assert.InRange(draws.Count(d => d.Flip), 60, 140);
        Assert.All(draws, d => Assert.InRange(d.Dx, -3, 3));
        Assert.Contains(draws, d => d.Dx == 3);
        Assert.Contains(draws, d => d.Dy == -3);
    }

    [Fact]
    public void FlipMirrorsAndShiftFillsWithBlack()
    {
        var a = new FlipTranslate(1, 2, 3);
        float[] src = [1, 2, 3, 4, 5, 6];
        var dst = new float[6];
        a.Apply(src, dst, new FlipShift(true, 0, 0));
        Assert.Equal([3, 2, 1, 6, 5, 4], dst);
        a.Apply(src, dst, new FlipShift(false, 1, 0));
        Assert.Equal([0, 1, 2, 0, 4, 5], dst);
        a.Apply(src, dst, new FlipShift(false, 0, -1));
        Assert.Equal([4, 5, 6, 0, 0, 0], dst);
    }
}
