using Edge.Core.Gate;
using Xunit;

namespace Edge.Core.Tests.Gate;

public class SampleMaskTests
{
    [Fact]
    public void RoundTripsFlagsByBaseIndex()
    {
        int[] indices = [9, 2, 17, 0];
        byte[] flags = [1, 0, 1, 1];
        string mask = SampleMask.Encode(20, indices, flags);
        Assert.Equal(flags, SampleMask.Decode(mask, 20, indices));
        Assert.Equal(new byte[] { 1, 0, 0 }, SampleMask.Decode(mask, 20, [0, 1, 2]));
        Assert.Equal(new byte[] { 1, 1, 0 }, SampleMask.Decode(SampleMask.Encode(20, indices), 20, [2, 9, 3]));
        Assert.Null(SampleMask.Decode(mask, 64, indices));
        Assert.Null(SampleMask.Decode("not base64!", 20, indices));
    }
}
