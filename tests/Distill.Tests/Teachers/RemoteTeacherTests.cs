using System.Net;
using System.Runtime.InteropServices;
using Edge.Core;
using Edge.Core.Imaging;
using Edge.Core.Manifest;
using Edge.Distill.Data;
using Edge.Core.Inference;
using Edge.Core.Preprocessing;
using Edge.Distill.Teachers;
using Edge.Protocol.V2;
using Edge.Testing;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Edge.Distill.Tests.Teachers;

/// <summary>
/// A minimal KServe v2 server in the test process: the default ONNX teacher behind ServerReady, ModelMetadata and
/// ModelInfer (raw FP32 in and out), which can fail its first ModelInfer calls with UNAVAILABLE and counts the
/// calls in flight.
/// </summary>
public sealed class FakeKServe : GRPCInferenceService.GRPCInferenceServiceBase, IAsyncDisposable
{
    private readonly OnnxClassifier _model = new(TestPaths.Teacher, new OnnxRunOptions { IntraOpThreads = 1 });
    private readonly WebApplication _app;
    private int _failures, _inFlight;

    public int InferCalls;
    public int MaxInFlight;
    public int[] InputClasses = [1, 32, 32];
    public int Classes = 10;
    public TimeSpan Delay = TimeSpan.Zero;

    private FakeKServe(WebApplication app) => _app = app;

    public string Address { get; private set; } = "";

    public static async Task<FakeKServe> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        FakeKServe? self = null;
        builder.Services.AddSingleton(_ => self!);
        var app = builder.Build();
        self = new FakeKServe(app);
        app.MapGrpcService<FakeKServe>();
        await app.StartAsync();
        self.Address = app.Urls.First().Replace("http://", "grpc://");
        return self;
    }

    public void FailNext(int calls) => Volatile.Write(ref _failures, calls);

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = true });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        if (request.Name != "fmnist") throw new RpcException(new Status(StatusCode.NotFound, $"no model '{request.Name}'"));
        var response = new ModelMetadataResponse { Name = "fmnist" };
        var input = new ModelMetadataResponse.Types.TensorMetadata { Name = "input", Datatype = "FP32" };
        input.Shape.AddRange([-1, .. InputClasses.Select(d => (long)d)]);
        var output = new ModelMetadataResponse.Types.TensorMetadata { Name = "logits", Datatype = "FP32" };
        output.Shape.AddRange([-1, Classes]);
        response.Inputs.Add(input);
        response.Outputs.Add(output);
        return Task.FromResult(response);
    }

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        Interlocked.Increment(ref InferCalls);
        if (Interlocked.Decrement(ref _failures) >= 0)
            throw new RpcException(new Status(StatusCode.Unavailable, "warming up"));
        int now = Interlocked.Increment(ref _inFlight);
        try
        {
            int max;
            while ((max = Volatile.Read(ref MaxInFlight)) < now && Interlocked.CompareExchange(ref MaxInFlight, now, max) != max) { }
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay);
            int batch = (int)request.Inputs[0].Shape[0];
            var input = MemoryMarshal.Cast<byte, float>(request.RawInputContents[0].Span).ToArray();
            var logits = _model.Run(input, batch);
            var response = new ModelInferResponse { ModelName = request.ModelName };
            var output = new ModelInferResponse.Types.InferOutputTensor { Name = "logits", Datatype = "FP32" };
            output.Shape.AddRange([batch, 10]);
            response.Outputs.Add(output);
            response.RawOutputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(logits.AsSpan())));
            return response;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _model.Dispose();
    }
}

public class RemoteTeacherTests
{
    private static readonly RemoteTeacherOptions Fast = new() { InitialBackoff = TimeSpan.FromMilliseconds(20), Timeout = TimeSpan.FromSeconds(20) };

    /// <summary>The served model's manifest: the default teacher's.</summary>
    private static string Manifest => ModelPackage.SidecarOf(TestPaths.Teacher);

    private static ViewBatch Batch(int n)
    {
        var rng = new Random(5);
        return new ViewBatch([.. Enumerable.Range(0, n).Select(_ => new Canvas([.. Enumerable.Range(0, 28 * 28).Select(_ => (float)rng.NextDouble())], 1, 28, 28))]);
    }

    [Fact]
    public async Task TargetsEqualTheLocalOnnxTeachersSplitAcrossConcurrentRequests()
    {
        await using var server = await FakeKServe.StartAsync();
        server.Delay = TimeSpan.FromMilliseconds(300); // requests overlap, so the concurrency limit is observable
        using var remote = TeacherRegistry.Open($"{server.Address}/fmnist,manifest={Manifest}", new TeacherContext { Remote = Fast with { RequestBatch = 4, Concurrency = 2 } });
        using var local = new OnnxTeacher(ModelPackage.Load(TestPaths.Teacher), threads: 1);
        Assert.Equal(10, remote.NumClasses);
        Assert.Equal(local.Labels, remote.Labels);

        var input = Batch(11);
        var expected = local.Run(input).Logits;
        var got = remote.Run(input).Logits;
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], got[i], 4);
        Assert.Equal(3, server.InferCalls); // 4 + 4 + 3
        Assert.Equal(2, server.MaxInFlight);
    }

    [Fact]
    public async Task TransientFailuresAreRetriedThenReported()
    {
        await using var server = await FakeKServe.StartAsync();
        using var remote = RemoteTeacher.Connect($"{server.Address}/fmnist", Manifest, Fast with { Retries = 3 });
        using var local = new OnnxTeacher(ModelPackage.Load(TestPaths.Teacher), threads: 1);
        var input = Batch(2);

        server.FailNext(2);
        var logits = remote.Run(input).Logits;
        Assert.Equal(3, server.InferCalls);
        Assert.Equal(local.Run(input).Logits[3], logits[3], 4);

        server.FailNext(10);
        var e = Assert.Throws<EdgeException>(() => remote.Run(input));
        Assert.Contains("failed 4 times", e.Message);
        Assert.Contains("Unavailable", e.Message);
    }

    [Fact]
    public async Task MismatchedInputOrUnknownModelOrNoServerIsAClearError()
    {
        await using var server = await FakeKServe.StartAsync();
        server.InputClasses = [3, 224, 224];
        var e = Assert.Throws<EdgeException>(() => RemoteTeacher.Connect($"{server.Address}/fmnist", Manifest, Fast));
        Assert.Contains("[-1, 3, 224, 224]", e.Message);
        Assert.Contains("[1, 32, 32]", e.Message);
        var missing = Assert.Throws<EdgeException>(() => RemoteTeacher.Connect($"{server.Address}/nope", Manifest, Fast));
        Assert.Contains("NotFound", missing.Message);

        var down = Assert.Throws<EdgeException>(() => RemoteTeacher.Connect("grpc://127.0.0.1:1/fmnist", Manifest, Fast with { Retries = 1 }));
        Assert.Contains("grpc://127.0.0.1:1/fmnist", down.Message);
        Assert.Contains("is the server running", down.Message);
        var noManifest = Assert.Throws<EdgeException>(() => RemoteTeacher.Connect($"{server.Address}/fmnist", null, Fast));
        Assert.Contains(",manifest=", noManifest.Message);
    }
}
