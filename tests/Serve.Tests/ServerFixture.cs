using Edge.Core.Inference;
using Edge.Core.Preprocessing;
using Edge.Serve.Client;
using Edge.Testing;
using Xunit;

namespace Edge.Serve.Tests;

/// <summary>
/// One server shared by the protocol tests, failing them on any error log: the image classifier fmnist (the teacher
/// with an Edge manifest) and the tensor models simple (the shipped INT32 add/sub), all_types (an identity per v2
/// datatype), fp16_add_sub and fixed_double (no batch dimension).
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TempDir Dir { get; } = new();
    public LogSink Log { get; } = new();
    public RunningServer Server { get; private set; } = null!;
    public EdgeClient Client { get; private set; } = null!;
    /// <summary>A client of Triton's protocol (generated from protos/triton), on its own connection.</summary>
    public Edge.Serve.Protocol.Triton.GRPCInferenceService.GRPCInferenceServiceClient Triton { get; private set; } = null!;
    private Grpc.Net.Client.GrpcChannel _tritonChannel = null!;
    public OnnxClassifier Reference { get; private set; } = null!;
    public Preprocessor Preprocessor { get; } = new(PreprocessSpec.FashionMnist32);

    public async Task InitializeAsync()
    {
        ServeTestKit.AddVersion(Dir.Path, ServeTestKit.Model, 1);
        ServeTestKit.AddTensorModels(Dir.Path);
        Server = await ServeTestKit.StartAsync(ServeTestKit.Options(Dir.Path) with { MaxMessageBytes = 1 << 20 }, Log);
        Client = EdgeClient.Connect(Server.GrpcAddress);
        _tritonChannel = Grpc.Net.Client.GrpcChannel.ForAddress(Server.GrpcAddress);
        Triton = new(_tritonChannel);
        Reference = new OnnxClassifier(ServeTestKit.Teacher, new OnnxRunOptions { IntraOpThreads = 1 });
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        _tritonChannel.Dispose();
        await Server.DisposeAsync();
        Reference.Dispose();
        Dir.Dispose();
    }

    /// <summary>Logits the in-process ONNX Runtime gives for one image, preprocessed by the shared Preprocessor.</summary>
    public float[] ReferenceLogits(Edge.Core.Imaging.RawImage image) => Reference.Run(Preprocessor.Run(image), 1);
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "shared server";
}
