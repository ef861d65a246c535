using System.Runtime.InteropServices;
using Edge.Protocol.V2;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Edge.Core.Evaluation.Remote;

/// <summary>
/// A model behind a KServe v2 gRPC server (Edge's own, Triton, KServe, OpenVINO Model Server): the gate sends the
/// same preprocessed tensors it would give an ONNX file, as raw little-endian FP32, and reads back the logits.
/// Address: <c>grpc://host:port/model[/version]</c> (cleartext HTTP/2; https:// for TLS).
/// </summary>
public sealed class KServeModelRunner : IModelRunner
{
    private readonly GrpcChannel _channel;
    private readonly GRPCInferenceService.GRPCInferenceServiceClient _client;
    private readonly string _model, _version, _inputName, _outputName;
    private readonly long[] _inputShape;
    private readonly TimeSpan _timeout;
    private readonly List<string> _notes = [];

    private KServeModelRunner(ModelSource source, GrpcChannel channel, string model, string version, ModelMetadataResponse metadata,
        PreprocessSpec? fallbackPreprocess, IReadOnlyList<string>? fallbackLabels, TimeSpan timeout)
    {
        _channel = channel;
        _client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        _model = model;
        _version = version;
        _timeout = timeout;
        Name = source.DisplayName();
        Location = source.Location;
        if (metadata.Inputs.Count != 1 || metadata.Inputs[0].Datatype != "FP32" || metadata.Inputs[0].Shape.Count != 4)
            throw new EdgeException($"{Location}: expected one FP32 input [batch, channels, height, width], the server reports {Describe(metadata.Inputs)}");
        if (metadata.Outputs.Count < 1 || metadata.Outputs[0].Shape.Count < 1)
            throw new EdgeException($"{Location}: the server reports no usable output ({Describe(metadata.Outputs)})");
        _inputName = metadata.Inputs[0].Name;
        _inputShape = metadata.Inputs[0].Shape.ToArray();
        _outputName = metadata.Outputs[0].Name;
        long classes = metadata.Outputs[0].Shape[^1];

        if (source.ManifestPath is { } manifestPath)
        {
            var manifest = JsonFiles.Read<ModelManifest>(manifestPath);
            manifest.Validate(manifestPath);
            Preprocess = manifest.Preprocess;
            Labels = manifest.Labels;
            Precision = manifest.Precision;
            Sha256 = manifest.ModelSha256;
            OutputKind = manifest.Output.Kind;
            _notes.Add($"preprocessing and labels from {manifestPath}");
        }
        else
        {
            Preprocess = fallbackPreprocess ?? throw new EdgeException($"{Location}: give the served model's manifest (,manifest=PATH) for its preprocessing and labels");
            Labels = fallbackLabels;
            Precision = "unknown";
            _notes.Add("no manifest given: evaluated with the teacher's preprocessing and labels (add ,manifest=PATH to use the served package's own)");
        }
        NumClasses = classes > 0 ? (int)classes : Labels?.Count ?? throw new EdgeException($"{Location}: the server does not say how many classes the model outputs; give its manifest");
        if (Labels is not null && Labels.Count != NumClasses)
            throw new EdgeException($"{Location}: the manifest lists {Labels.Count} labels but the served model outputs {NumClasses} classes");
    }

    public string Name { get; }
    public string Location { get; }
    public string Kind => "kserve";
    public OutputKind OutputKind { get; }
    public string? Sha256 { get; }
    public string Precision { get; }
    public PreprocessSpec Preprocess { get; }
    public IReadOnlyList<string>? Labels { get; }
    public int NumClasses { get; }
    public int MaxBatch => 64;
    public IReadOnlyList<string> Notes => _notes;

    /// <summary>Connects, checks the server is ready and reads the model's metadata; an unreachable server or unknown model is an <see cref="EdgeException"/>.</summary>
    public static KServeModelRunner Connect(ModelSource source, PreprocessSpec? fallbackPreprocess, IReadOnlyList<string>? fallbackLabels, TimeSpan timeout)
    {
        var uri = new Uri(source.Location);
        var segments = uri.AbsolutePath.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length is 0 or > 2)
            throw new EdgeException($"{source.Location}: a server model address is grpc://host:port/model[/version]");
        string scheme = uri.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
        string address = $"{scheme}://{uri.Authority}";
        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20, MaxSendMessageSize = 64 << 20 });
        try
        {
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            var ready = Call(source.Location, () => client.ServerReady(new ServerReadyRequest(), deadline: DateTime.UtcNow + timeout));
            if (!ready.Ready)
                throw new EdgeException($"the KServe server at {address} is up but not ready (models still loading or failing warm-up); retry when it reports ready");
            var metadata = Call(source.Location, () => client.ModelMetadata(new ModelMetadataRequest { Name = segments[0], Version = segments.Length > 1 ? segments[1] : "" },
                deadline: DateTime.UtcNow + timeout));
            return new KServeModelRunner(source, channel, segments[0], segments.Length > 1 ? segments[1] : "", metadata, fallbackPreprocess, fallbackLabels, timeout);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public void CheckInput(PreprocessSpec spec, string what)
    {
        bool fits = Fits(_inputShape[1], spec.Channels) && Fits(_inputShape[2], spec.Height) && Fits(_inputShape[3], spec.Width);
        if (!fits)
            throw new EdgeException($"{Location} takes input [{string.Join(", ", _inputShape)}] but {what} produces [{spec.Channels}, {spec.Height}, {spec.Width}]");
    }

    public float[] Run(float[] input, int batch)
    {
        int len = Preprocess.TensorLength;
        var request = new ModelInferRequest { ModelName = _model, ModelVersion = _version };
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = _inputName, Datatype = "FP32" };
        tensor.Shape.AddRange([batch, Preprocess.Channels, Preprocess.Height, Preprocess.Width]);
        request.Inputs.Add(tensor);
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = _outputName });
        request.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(MemoryMarshal.AsBytes(input.AsSpan(0, batch * len)).ToArray()));
        var response = Call(Location, () => _client.ModelInfer(request, deadline: DateTime.UtcNow + _timeout));
        int expected = batch * NumClasses;
        float[] logits;
        if (response.RawOutputContents.Count > 0)
        {
            var bytes = response.RawOutputContents[0].Span;
            if (bytes.Length != expected * 4)
                throw new EdgeException($"{Location} returned {bytes.Length} output bytes for {batch} images x {NumClasses} classes");
            logits = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        }
        else if (response.Outputs.Count > 0 && response.Outputs[0].Contents is { } contents && contents.Fp32Contents.Count == expected)
            logits = contents.Fp32Contents.ToArray();
        else
            throw new EdgeException($"{Location} returned no FP32 logits for output '{_outputName}'");
        OutputKinds.ToLogits(OutputKind, logits.AsSpan());
        return logits;
    }

    public void Dispose() => _channel.Dispose();

    private static T Call<T>(string location, Func<T> call)
    {
        try
        {
            return call();
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown)
        {
            throw new EdgeException($"cannot reach the KServe server for {location} ({e.StatusCode}: {e.Status.Detail}); is the server running and the address right?", e);
        }
        catch (RpcException e)
        {
            throw new EdgeException($"the KServe server refused {location} ({e.StatusCode}: {e.Status.Detail})", e);
        }
        catch (HttpRequestException e)
        {
            throw new EdgeException($"cannot reach the KServe server for {location}: {e.Message}", e);
        }
    }

    private static bool Fits(long declared, int actual) => declared <= 0 || declared == actual;

    private static string Describe(IEnumerable<ModelMetadataResponse.Types.TensorMetadata> tensors) =>
        string.Join(", ", tensors.Select(t => $"{t.Name}:{t.Datatype}[{string.Join(",", t.Shape)}]")) is { Length: > 0 } s ? s : "none";
}
