using System.Net;
using Edge.Serve.Client;
using Edge.Testing;
using Grpc.Core;
using Xunit;

namespace Edge.Serve.Tests.Interceptors;

public sealed class ApiKeyInterceptorTests
{
    [Fact]
    public async Task Calls_need_the_key_except_liveness_and_readiness()
    {
        using var dir = new TempDir();
        ServeTestKit.AddVersion(dir.Path, "fmnist", 1);
        await using var server = await ServeTestKit.StartAsync(ServeTestKit.Options(dir.Path) with { ApiKey = "s3cret" });
        byte[] png = ServeTestKit.FashionImages[0].Png;

        using var anonymous = EdgeClient.Connect(server.GrpcAddress);
        Assert.True(await anonymous.ServerReadyAsync());
        var e = await Assert.ThrowsAsync<RpcException>(() => anonymous.ClassifyAsync("fmnist", png));
        Assert.Equal(StatusCode.Unauthenticated, e.StatusCode);
        Assert.Contains("x-api-key", e.Status.Detail);

        using var wrong = EdgeClient.Connect(server.GrpcAddress, apiKey: "guess");
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => wrong.ClassifyAsync("fmnist", png))).StatusCode);

        using var client = EdgeClient.Connect(server.GrpcAddress, apiKey: "s3cret");
        Assert.Equal(5, (await client.ClassifyAsync("fmnist", png)).Top.Count);

        using var http = new HttpClient { BaseAddress = new Uri(server.HttpAddress) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v2/models/fmnist")).StatusCode);
        http.DefaultRequestHeaders.Add("x-api-key", "s3cret");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/models/fmnist")).StatusCode);
    }
}
