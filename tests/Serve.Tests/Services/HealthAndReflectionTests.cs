using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Xunit;

namespace Edge.Serve.Tests.Services;

[Collection(ServerCollection.Name)]
public sealed class HealthAndReflectionTests(ServerFixture fx)
{
    [Fact]
    public async Task Grpc_health_reports_serving()
    {
        using var channel = GrpcChannel.ForAddress(fx.Server.GrpcAddress);
        var health = new Health.HealthClient(channel);
        var reply = await health.CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task Reflection_lists_the_services()
    {
        using var channel = GrpcChannel.ForAddress(fx.Server.GrpcAddress);
        var reflection = new ServerReflection.ServerReflectionClient(channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var names = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToArray();
        Assert.Contains("inference.GRPCInferenceService", names);
        Assert.Contains("edge.serve.v1.ImageClassifier", names);
        Assert.Contains("grpc.health.v1.Health", names);
    }
}
