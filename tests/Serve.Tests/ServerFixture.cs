using Edge.Core.Inference;
using Edge.Core.Preprocessing;
using Edge.Serve.Client;
using Edge.Testing;
using Xunit;

namespace Edge.Serve.Tests;

/// <summary>One server (model fmnist, version 1) shared by the protocol tests; fails them on any error log.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public TempDir Dir { get; } = new();
    public LogSink Log { get; } = new();
    public RunningServer Server { get; private set; } = null!;
    public EdgeClient Client { get; private set; } = null!;
    public OnnxClassifier Reference { get; private set; } = null!;
    public Preprocessor Preprocessor { get; } = new(PreprocessSpec.FashionMnist32);

    public async Task InitializeAsync()
    {
        ServeTestKit.AddVersion(Dir.Path, ServeTestKit.Model, 1);
        Server = await ServeTestKit.StartAsync(ServeTestKit.Options(Dir.Path) with { MaxMessageBytes = 1 << 20 }, Log);
        Client = EdgeClient.Connect(Server.GrpcAddress);
        Reference = new OnnxClassifier(ServeTestKit.Teacher, new OnnxRunOptions { IntraOpThreads = 1 });
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
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
