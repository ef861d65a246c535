using Edge.Core.Inference;
using Edge.Serve.Client;
using Edge.Testing;
using Xunit;

namespace Edge.Serve.Tests;

public sealed class DeviceFallbackTests
{
    [Fact]
    public async Task Cuda_without_the_cuda_build_serves_on_cpu_and_says_so()
    {
        using var dir = new TempDir();
        ServeTestKit.AddVersion(dir.Path, "fmnist", 1);
        var sink = new LogSink();
        await using var server = await ServeTestKit.StartAsync(ServeTestKit.Options(dir.Path) with { Device = InferenceDevice.Cuda }, sink);
        Assert.Contains(sink.Warnings, w => w.Contains("falls back to CPU", StringComparison.Ordinal) || w.Contains("running on CPU", StringComparison.Ordinal));
        using var client = EdgeClient.Connect(server.GrpcAddress);
        Assert.Equal(5, (await client.ClassifyAsync("fmnist", ServeTestKit.FashionImages[0].Png)).Top.Count);
    }
}
