using System.Runtime.InteropServices;
using Edge.Core;
using Edge.Core.Manifest;
using Edge.Distill.Data;
using Edge.Protocol.V2;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Edge.Distill.Teachers;

/// <summary>How a <see cref="RemoteTeacher"/> talks to its server.</summary>
public sealed record RemoteTeacherOptions
{
    /// <summary>Images per ModelInfer request; a trainer batch larger than this is split.</summary>
    public int RequestBatch { get; init; } = 64;
    /// <summary>Requests of one batch in flight at once (a server with several workers or dynamic batching answers them together).</summary>
    public int Concurrency { get; init; } = 4;
    /// <summary>Attempts after the first on UNAVAILABLE / DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED, with doubling back-off.</summary>
    public int Retries { get; init; } = 4;
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Deadline of each call.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    public RemoteTeacherOptions Validate()
    {
        if (RequestBatch < 1) throw new EdgeException($"--teacher-request-batch must be at least 1, got {RequestBatch}");
        if (Concurrency < 1) throw new EdgeException($"--teacher-concurrency must be at least 1, got {Concurrency}");
        if (Retries < 0) throw new EdgeException($"--teacher-retries must be non-negative, got {Retries}");
        if (Timeout <= TimeSpan.Zero) throw new EdgeException($"the remote teacher's timeout must be positive, got {Timeout}");
        return this;
    }
}

/// <summary>
/// Black-box teacher behind a KServe v2 gRPC server (<c>edge serve</c>, Triton, KServe, OpenVINO Model Server):
/// the trainer's preprocessed batch goes out as raw little-endian FP32 (<c>raw_input_contents</c>), split into
/// requests of <see cref="RemoteTeacherOptions.RequestBatch"/> images with at most
/// <see cref="RemoteTeacherOptions.Concurrency"/> in flight; transient failures are retried with back-off, because
/// a training run of hours must survive a server restart or a brief overload. Address:
/// <c>grpc://host:port/model[/version]</c> (https:// for TLS).
/// </summary>
public sealed class RemoteTeacher : ITeacher
{
    private static readonly StatusCode[] Transient = [StatusCode.Unavailable, StatusCode.DeadlineExceeded, StatusCode.ResourceExhausted];

    private readonly GrpcChannel _channel;
    private readonly GRPCInferenceService.GRPCInferenceServiceClient _client;
    private readonly RemoteTeacherOptions _options;
    private readonly string _model, _version, _inputName, _outputName;
    private readonly long[] _inputShape;
    private readonly TeacherCard _card;

    private RemoteTeacher(string address, GrpcChannel channel, string model, string version, ModelMetadataResponse metadata,
        ManifestFile manifest, RemoteTeacherOptions options)
    {
        Address = address;
        _channel = channel;
        _client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        _options = options;
        _model = model;
        _version = version;
        if (metadata.Inputs.Count != 1 || metadata.Inputs[0].Datatype != "FP32" || metadata.Inputs[0].Shape.Count != 4)
            throw new EdgeException($"{address}: a teacher needs one FP32 input [batch, channels, height, width]; the server reports {Describe(metadata.Inputs)}");
        if (metadata.Outputs.Count < 1 || metadata.Outputs[0].Datatype is not ("FP32" or "") || metadata.Outputs[0].Shape.Count != 2)
            throw new EdgeException($"{address}: a teacher needs FP32 logits [batch, classes] as first output; the server reports {Describe(metadata.Outputs)}");
        _inputName = metadata.Inputs[0].Name;
        _inputShape = [.. metadata.Inputs[0].Shape];
        _outputName = metadata.Outputs[0].Name;
        var m = manifest.Manifest;
        long classes = metadata.Outputs[0].Shape[1] > 0 ? metadata.Outputs[0].Shape[1] : m.Labels.Count;
        if (classes != m.Labels.Count)
            throw new EdgeException($"{address}: the served model outputs {classes} classes but {manifest.Path} lists {m.Labels.Count} labels; give the manifest of the model this server runs");
        NumClasses = (int)classes;
        var spec = m.Preprocess;
        static bool Fits(long declared, int actual) => declared <= 0 || declared == actual;
        if (!Fits(_inputShape[1], spec.Channels) || !Fits(_inputShape[2], spec.Height) || !Fits(_inputShape[3], spec.Width))
            throw new EdgeException($"teacher {address} takes input [{string.Join(", ", _inputShape)}] but its manifest {manifest.Path} preprocesses to [{spec.Channels}, {spec.Height}, {spec.Width}]; give the manifest of the model this server runs");
        _card = new TeacherCard(address, address, m.ModelSha256, spec, m.Output.Kind, m.Labels);
    }

    public string Address { get; }
    public string Description => Address;
    public int NumClasses { get; }
    public IReadOnlyList<string> Labels => _card.Labels;
    public IReadOnlyList<string> FeatureNames => [];
    public IReadOnlyList<TeacherCard> Cards => [_card];

    /// <summary>Connects (with the same retries as inference), checks the server is ready and reads the model's metadata.
    /// The served model's manifest (its package's manifest.json) gives its preprocessing, output kind and labels.</summary>
    public static RemoteTeacher Connect(string address, string? manifestPath, RemoteTeacherOptions? options = null)
    {
        if (manifestPath is null)
            throw new EdgeException($"teacher {address}: give the served model's manifest for its preprocessing, output kind and labels, e.g. --teacher {address},manifest=PACKAGE/manifest.json");
        var manifest = ManifestFile.Read(manifestPath);
        options = (options ?? new RemoteTeacherOptions()).Validate();
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("grpc" or "http" or "https"))
            throw new EdgeException($"'{address}' is not a server address: use grpc://host:port/model[/version]");
        var segments = uri.AbsolutePath.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length is 0 or > 2)
            throw new EdgeException($"'{address}' names no model: use grpc://host:port/model[/version]");
        string endpoint = $"{(uri.Scheme == "https" ? "https" : "http")}://{uri.Authority}";
        var channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20, MaxSendMessageSize = 64 << 20 });
        try
        {
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            string model = segments[0], version = segments.Length > 1 ? segments[1] : "";
            var ready = WithRetries(address, "ServerReady", options, deadline => client.ServerReadyAsync(new ServerReadyRequest(), deadline: deadline).ResponseAsync).GetAwaiter().GetResult();
            if (!ready.Ready)
                throw new EdgeException($"the KServe server at {endpoint} is up but not ready (models still loading); retry when it reports ready");
            var metadata = WithRetries(address, "ModelMetadata", options, deadline => client.ModelMetadataAsync(
                new ModelMetadataRequest { Name = model, Version = version }, deadline: deadline).ResponseAsync).GetAwaiter().GetResult();
            return new RemoteTeacher(address, channel, model, version, metadata, manifest, options);
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    public TeacherOutputs Run(ViewBatch views)
    {
        var spec = _card.Preprocess;
        long[] shape = [spec.Channels, spec.Height, spec.Width];
        var input = views.View(spec);
        int batch = views.Count, len = spec.TensorLength;
        if (input.Length < batch * len)
            throw new EdgeException($"teacher {Address}: {batch} images need {batch * len} floats, got {input.Length}");
        var logits = new float[batch * NumClasses];
        using var gate = new SemaphoreSlim(_options.Concurrency);
        var tasks = new List<Task>();
        for (int start = 0; start < batch; start += _options.RequestBatch)
        {
            int first = start, n = Math.Min(_options.RequestBatch, batch - start);
            tasks.Add(Task.Run(async () =>
            {
                await gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    var part = await InferAsync(input.AsMemory(first * len, n * len), n, shape).ConfigureAwait(false);
                    part.CopyTo(logits.AsSpan(first * NumClasses, n * NumClasses));
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        // GetResult rethrows the first failure itself (an EdgeException naming the server), not an AggregateException.
        Task.WhenAll(tasks).GetAwaiter().GetResult();
        return new TeacherOutputs(TeacherTargets.FromOutputs(_card.OutputKind, logits, batch, NumClasses), batch, NumClasses);
    }

    private async Task<float[]> InferAsync(ReadOnlyMemory<float> input, int n, long[] sampleShape)
    {
        var request = new ModelInferRequest { ModelName = _model, ModelVersion = _version };
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = _inputName, Datatype = "FP32" };
        tensor.Shape.Add(n);
        tensor.Shape.AddRange(sampleShape);
        request.Inputs.Add(tensor);
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = _outputName });
        request.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(MemoryMarshal.AsBytes(input.Span).ToArray()));
        var response = await WithRetries(Address, "ModelInfer", _options,
            deadline => _client.ModelInferAsync(request, deadline: deadline).ResponseAsync).ConfigureAwait(false);
        int expected = n * NumClasses;
        if (response.RawOutputContents.Count > 0)
        {
            var bytes = response.RawOutputContents[0].Span;
            if (bytes.Length != expected * sizeof(float))
                throw new EdgeException($"{Address} returned {bytes.Length} output bytes for {n} images x {NumClasses} classes");
            return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        }
        if (response.Outputs.Count > 0 && response.Outputs[0].Contents is { } contents && contents.Fp32Contents.Count == expected)
            return [.. contents.Fp32Contents];
        throw new EdgeException($"{Address} returned no FP32 logits for output '{_outputName}' ({expected} values expected)");
    }

    /// <summary>Runs <paramref name="call"/>, retrying transient failures with doubling back-off (plus jitter, so
    /// concurrent requests do not retry in lock-step); anything else, or the last failure, is an <see cref="EdgeException"/>.</summary>
    internal static async Task<T> WithRetries<T>(string address, string what, RemoteTeacherOptions options, Func<DateTime, Task<T>> call)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await call(DateTime.UtcNow + options.Timeout).ConfigureAwait(false);
            }
            catch (RpcException e) when (Transient.Contains(e.StatusCode) && attempt < options.Retries)
            {
                var delay = options.InitialBackoff * Math.Pow(2, attempt) * (1 + 0.2 * Random.Shared.NextDouble());
                await Task.Delay(delay).ConfigureAwait(false);
            }
            catch (RpcException e) when (Transient.Contains(e.StatusCode))
            {
                throw new EdgeException($"teacher {address}: {what} failed {attempt + 1} times ({e.StatusCode}: {e.Status.Detail}); is the server running and the address right?", e);
            }
            catch (RpcException e)
            {
                throw new EdgeException($"teacher {address}: the server refused {what} ({e.StatusCode}: {e.Status.Detail})", e);
            }
        }
    }

    public void Dispose() => _channel.Dispose();

    private static string Describe(IEnumerable<ModelMetadataResponse.Types.TensorMetadata> tensors) =>
        string.Join(", ", tensors.Select(t => $"{t.Name}:{t.Datatype}[{string.Join(",", t.Shape)}]")) is { Length: > 0 } s ? s : "none";
}
