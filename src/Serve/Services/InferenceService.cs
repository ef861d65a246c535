using Edge.Serve.Inference;
using Edge.Serve.Protocol.Triton;
using Grpc.Core;

namespace Edge.Serve.Services;

/// <summary>
/// <c>inference.GRPCInferenceService</c>: the KServe v2 calls and Triton's extensions (streaming, configuration,
/// statistics, repository API), a thin layer over <see cref="InferenceEngine"/> and the repository. Trace and log
/// settings answer UNIMPLEMENTED (docs/SERVE.md says why); the shared-memory calls are not in the service at all.
/// </summary>
public sealed class InferenceService(InferenceEngine engine, ServeOptions options) : GRPCInferenceService.GRPCInferenceServiceBase
{
    /// <summary>Stream requests in flight at once per stream, so they share batches; answers keep request order.</summary>
    public const int StreamWindow = 32;

    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = engine.Repository.IsReady });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ModelReadyResponse { Ready = engine.Repository.IsModelReady(request.Name, request.Version) });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = options.ServerName, Version = ServerInfo.Version, Extensions = { ServerInfo.Extensions } });

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(ServerInfo.Metadata(engine.Repository, request.Name, request.Version));

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        using var result = await engine.InferAsync(GrpcTensors.ReadRequest(request), context.CancellationToken).ConfigureAwait(false);
        return GrpcTensors.WriteResponse(result, request.Id);
    }

    /// <summary>
    /// Triton's streaming inference: every request gets one response, in order; a request that fails answers with
    /// its error in <c>error_message</c> and the stream goes on, as Triton's client expects.
    /// </summary>
    public override Task ModelStreamInfer(IAsyncStreamReader<ModelInferRequest> requestStream, IServerStreamWriter<ModelStreamInferResponse> responseStream, ServerCallContext context) =>
        OrderedStream.RunAsync(requestStream, (r, _) => InferOne(r, context.CancellationToken), responseStream.WriteAsync, StreamWindow, context.CancellationToken);

    /// <summary>One stream request's answer; a request error becomes the answer's error_message.</summary>
    private async Task<ModelStreamInferResponse> InferOne(ModelInferRequest request, CancellationToken ct)
    {
        await Task.Yield(); // decode off the reading loop
        try
        {
            using var result = await engine.InferAsync(GrpcTensors.ReadRequest(request), ct).ConfigureAwait(false);
            return new ModelStreamInferResponse { InferResponse = GrpcTensors.WriteResponse(result, request.Id) };
        }
        catch (Exception e) when (Interceptors.ErrorMapping.IsRequestError(e))
        {
            return new ModelStreamInferResponse { ErrorMessage = Interceptors.ErrorMapping.Map(e).Detail, InferResponse = new ModelInferResponse { Id = request.Id, ModelName = request.ModelName } };
        }
    }

    public override Task<ModelConfigResponse> ModelConfig(ModelConfigRequest request, ServerCallContext context)
    {
        var (_, m) = ServerInfo.Describe(engine.Repository, request.Name, request.Version);
        return Task.FromResult(new ModelConfigResponse { Config = m.Config });
    }

    public override Task<ModelStatisticsResponse> ModelStatistics(ModelStatisticsRequest request, ServerCallContext context) =>
        Task.FromResult(ServerInfo.Statistics(engine.Repository, request.Name, request.Version));

    public override async Task<RepositoryIndexResponse> RepositoryIndex(RepositoryIndexRequest request, ServerCallContext context) =>
        ServerInfo.Index(await engine.Repository.IndexAsync(request.Ready, context.CancellationToken).ConfigureAwait(false));

    public override async Task<RepositoryModelLoadResponse> RepositoryModelLoad(RepositoryModelLoadRequest request, ServerCallContext context)
    {
        var p = LoadParameters.FromGrpc(request.ModelName, request.Parameters);
        await engine.Repository.LoadModelAsync(request.ModelName, p.Config, p.Files, context.CancellationToken).ConfigureAwait(false);
        return new RepositoryModelLoadResponse();
    }

    public override async Task<RepositoryModelUnloadResponse> RepositoryModelUnload(RepositoryModelUnloadRequest request, ServerCallContext context)
    {
        foreach (var key in request.Parameters.Keys.Where(k => k != "unload_dependents"))
            throw ServeException.Invalid($"unknown unload parameter '{Tensors.Text.Clip(key)}' (this server takes 'unload_dependents'; it serves no ensembles, so there are none)");
        await engine.Repository.UnloadModelAsync(request.ModelName, context.CancellationToken).ConfigureAwait(false);
        return new RepositoryModelUnloadResponse();
    }

    public override Task<TraceSettingResponse> TraceSetting(TraceSettingRequest request, ServerCallContext context) =>
        throw ServeException.Unimplemented(Unsupported.Trace);

    public override Task<LogSettingsResponse> LogSettings(LogSettingsRequest request, ServerCallContext context) =>
        throw ServeException.Unimplemented(Unsupported.Logging);
}

/// <summary>The extensions Edge decided against, with the reason a client reads.</summary>
public static class Unsupported
{
    public const string Trace = "trace settings are not implemented: Edge records no per-request traces; use ModelStatistics and /metrics (Prometheus histograms of queue, inference and request time)";
    public const string Logging = "log settings are not implemented: Edge's log level is fixed at start (standard .NET logging configuration); see docs/SERVE.md";
}
