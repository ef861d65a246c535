using Edge.Serve.Client;
using Edge.Testing;
using Xunit;

namespace Edge.Serve.Tests.Shadow;

public sealed class ShadowScorerTests
{
    [Fact]
    public async Task Shadowed_requests_export_top_1_agreement()
    {
        using var dir = new TempDir();
        ServeTestKit.AddVersion(dir.Path, "fmnist", 1);
        await using var server = await ServeTestKit.StartAsync(ServeTestKit.Options(dir.Path) with { ShadowTeacher = ServeTestKit.Teacher, ShadowFraction = 1.0 });
        using var client = EdgeClient.Connect(server.GrpcAddress);
        foreach (var image in ServeTestKit.FashionImages.Take(6))
            await client.ClassifyAsync("fmnist", image.Png);

        var compared = server.Metrics.ShadowCompared.WithLabels("fmnist");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (compared.Value < 6 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal(6, compared.Value);
        // The "student" here is the teacher itself, so agreement is exact.
        Assert.Equal(1.0, server.Metrics.ShadowAgreement.WithLabels("fmnist").Value);
        using var http = new HttpClient();
        Assert.Contains("edge_shadow_top1_agreement{model=\"fmnist\"} 1", await http.GetStringAsync(server.HttpAddress + "/metrics"));
    }
}
