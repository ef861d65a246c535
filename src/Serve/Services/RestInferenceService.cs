using Edge.Serve.Inference;
using Edge.Serve.Protocol.Rest;
using Edge.Protocol.V2;
using Grpc.Core;

namespace Edge.Serve.Services;

/// <summary>
/// The v2 REST paths (<c>/v2/health/live</c>, <c>/v2/models/{name}/infer</c>, ...) through gRPC JSON transcoding.
/// Not-ready answers 503 (UNAVAILABLE) so HTTP probes, which only read the status code, see it.
/// </summary>
public sealed class RestInferenceService(InferenceEngine engine) : InferenceRest.InferenceRestBase
{
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        engine.Repository.IsReady
            ? Task.FromResult(new ServerReadyResponse { Ready = true })
            : throw new RpcException(new Status(StatusCode.Unavailable, "server is not ready: no model has finished loading, or it is shutting down"));

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context)
    {
        if (engine.Repository.IsModelReady(request.Name, request.Version))
            return Task.FromResult(new ModelReadyResponse { Ready = true });
        if (engine.Repository.VersionsOf(request.Name).Count == 0)
            throw ServeException.NotFound($"unknown model '{request.Name}'; serving: {string.Join(", ", engine.Repository.ModelNames)}");
        throw new RpcException(new Status(StatusCode.Unavailable, $"model {request.Name} version {request.Version} is not ready"));
    }

    public override Task<RestServerMetadata> ServerMetadata(ServerMetadataRequest request, ServerCallContext context)
    {
        var response = new RestServerMetadata { Name = ServerInfo.Name, Version = ServerInfo.Version };
        response.Extensions.AddRange(ServerInfo.Extensions);
        return Task.FromResult(response);
    }

    public override Task<RestModelMetadata> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        var (all, m) = ServerInfo.Describe(engine.Repository, request.Name, request.Version);
        var response = new RestModelMetadata { Name = m.Name, Platform = ServerInfo.Platform };
        response.Versions.AddRange(all.Select(v => v.VersionText));
        response.Inputs.Add(Tensor(m.Manifest.Input.Name, ServerInfo.InputShape(m)));
        response.Outputs.Add(Tensor(m.Manifest.Output.Name, ServerInfo.OutputShape(m)));
        return Task.FromResult(response);
    }

    public override async Task<RestInferResponse> ModelInfer(RestInferRequest request, ServerCallContext context)
    {
        if (request.Inputs.Count != 1)
            throw ServeException.Invalid($"expected exactly one input tensor, got {request.Inputs.Count}");
        var t = request.Inputs[0];
        if (t.Datatype != "FP32")
            throw ServeException.Invalid($"input '{t.Name}' has datatype '{t.Datatype}'; the REST infer path takes FP32 data (use Classify for images)");
        var input = new InferInput(t.Name, [.. t.Shape.Select(d => (long)d)], [.. t.Data], null);
        var output = await engine.InferAsync(request.ModelName, request.ModelVersion, input, context.CancellationToken).ConfigureAwait(false);
        foreach (var o in request.Outputs)
            if (o.Name != output.Name)
                throw ServeException.Invalid($"model {output.Model} has one output, '{output.Name}'; '{o.Name}' was requested");
        var response = new RestInferResponse { ModelName = output.Model, ModelVersion = output.Version, Id = request.Id };
        var tensor = new RestTensor { Name = output.Name, Datatype = "FP32" };
        tensor.Shape.AddRange(output.Shape.Select(d => (int)d));
        tensor.Data.AddRange(output.Logits);
        response.Outputs.Add(tensor);
        return response;
    }

    private static RestTensorMetadata Tensor(string name, long[] shape)
    {
        var t = new RestTensorMetadata { Name = name, Datatype = "FP32" };
        t.Shape.AddRange(shape.Select(d => (int)d));
        return t;
    }
}
