using Edge.Serve.Inference;
using Edge.Serve.Interceptors;
using Edge.Serve.Protocol.Classify;
using Edge.Protocol.V2;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Edge.Serve.Client;

/// <summary>
/// A small typed client for an Edge server: send an image, get top-k back; check readiness; run a raw tensor.
/// One instance (one HTTP/2 connection) is meant to be shared by many concurrent callers.
/// </summary>
public sealed class EdgeClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly Metadata? _headers;

    private EdgeClient(GrpcChannel channel, string? apiKey)
    {
        _channel = channel;
        _headers = apiKey is null ? null : new Metadata { { ApiKeyInterceptor.Header, apiKey } };
        Classifier = new ImageClassifier.ImageClassifierClient(channel);
        Inference = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
    }

    /// <summary>Connects to a server's gRPC address, e.g. <see cref="RunningServer.GrpcAddress"/>.</summary>
    public static EdgeClient Connect(string grpcAddress, string? apiKey = null, int maxMessageBytes = 16 * 1024 * 1024) =>
        new(GrpcChannel.ForAddress(grpcAddress, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = maxMessageBytes,
            MaxSendMessageSize = maxMessageBytes,
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) },
        }), apiKey);

    /// <summary>The generated clients, for anything the helpers below do not cover.</summary>
    public ImageClassifier.ImageClassifierClient Classifier { get; }

    public GRPCInferenceService.GRPCInferenceServiceClient Inference { get; }

    /// <summary>Classifies encoded image bytes (JPEG, PNG, WebP, BMP) with a served model.</summary>
    public async Task<ClassifyResult> ClassifyAsync(string model, ReadOnlyMemory<byte> image, int topK = InferenceEngine.DefaultTopK,
        string? version = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var request = new ClassifyRequest { ModelName = model, ModelVersion = version ?? "", Image = ByteString.CopyFrom(image.Span), TopK = topK };
        var response = await Classifier.ClassifyAsync(request, Options(timeout, cancellationToken)).ConfigureAwait(false);
        return new ClassifyResult(response.ModelName, response.ModelVersion,
            response.Predictions.Select(p => new LabelScore(p.Index, p.Label, p.Probability)).ToArray());
    }

    /// <summary>Classifies an image file.</summary>
    public async Task<ClassifyResult> ClassifyFileAsync(string model, string imagePath, int topK = InferenceEngine.DefaultTopK,
        CancellationToken cancellationToken = default) =>
        await ClassifyAsync(model, await File.ReadAllBytesAsync(imagePath, cancellationToken).ConfigureAwait(false), topK,
            cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<bool> ServerReadyAsync(CancellationToken cancellationToken = default) =>
        (await Inference.ServerReadyAsync(new ServerReadyRequest(), Options(null, cancellationToken)).ConfigureAwait(false)).Ready;

    /// <summary>Runs a preprocessed FP32 tensor [batch, C, H, W] (sent raw) and returns the logits [batch, classes].</summary>
    public async Task<float[]> InferAsync(string model, float[] input, long[] shape, string? version = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var request = CreateInferRequest(model, input, shape, version);
        var response = await Inference.ModelInferAsync(request, Options(timeout, cancellationToken)).ConfigureAwait(false);
        return ReadLogits(response);
    }

    /// <summary>A v2 ModelInfer request carrying <paramref name="input"/> as raw little-endian FP32.</summary>
    public static ModelInferRequest CreateInferRequest(string model, float[] input, long[] shape, string? version = null, string inputName = "input")
    {
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = inputName, Datatype = "FP32" };
        tensor.Shape.AddRange(shape);
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version ?? "" };
        request.Inputs.Add(tensor);
        request.RawInputContents.Add(ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(input.AsSpan())));
        return request;
    }

    /// <summary>The first output of a response as floats, raw or typed.</summary>
    public static float[] ReadLogits(ModelInferResponse response)
    {
        if (response.RawOutputContents.Count > 0)
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(response.RawOutputContents[0].Span).ToArray();
        return [.. response.Outputs[0].Contents.Fp32Contents];
    }

    private CallOptions Options(TimeSpan? timeout, CancellationToken cancellationToken) =>
        new(_headers, timeout is { } t ? DateTime.UtcNow + t : null, cancellationToken);

    public void Dispose() => _channel.Dispose();
}
