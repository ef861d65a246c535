using TorchSharp;
using Xunit;

namespace Edge.Distill.Tests;

public class TorchSharpLoadsTests
{
    [Fact]
    public void LibTorchLoadsAndComputes()
    {
        using var a = torch.ones(2, 3);
        using var b = a.matmul(torch.ones(3, 2));
        Assert.Equal(3f, b[0, 0].item<float>());
    }
}
