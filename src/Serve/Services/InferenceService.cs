using Edge.Serve.Inference;
using Edge.Protocol.V2;
using Grpc.Core;

namespace Edge.Serve.Services;

/// <summary><c>inference.GRPCInferenceService</c> (KServe v2 / Open Inference Protocol): a thin layer over <see cref="InferenceEngine"/>.</summary>
public sealed class InferenceService(InferenceEngine engine) : GRPCInferenceService.GRPCInferenceServiceBase
{
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = engine.Repository.IsReady });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ModelReadyResponse { Ready = engine.Repository.IsModelReady(request.Name, request.Version) });

    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context)
    {
        var response = new ServerMetadataResponse { Name = ServerInfo.Name, Version = ServerInfo.Version };
        response.Extensions.AddRange(ServerInfo.Extensions);
        return Task.FromResult(response);
    }

    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        var (all, m) = ServerInfo.Describe(engine.Repository, request.Name, request.Version);
        var response = new ModelMetadataResponse { Name = m.Name, Platform = ServerInfo.Platform };
        response.Versions.AddRange(all.Select(v => v.VersionText));
        var input = new ModelMetadataResponse.Types.TensorMetadata { Name = m.Manifest.Input.Name, Datatype = "FP32" };
        input.Shape.AddRange(ServerInfo.InputShape(m));
        var output = new ModelMetadataResponse.Types.TensorMetadata { Name = m.Manifest.Output.Name, Datatype = "FP32" };
        output.Shape.AddRange(ServerInfo.OutputShape(m));
        response.Inputs.Add(input);
        response.Outputs.Add(output);
        return Task.FromResult(response);
    }

    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        var input = V2Tensors.ReadInput(request);
        var output = await engine.InferAsync(request.ModelName, request.ModelVersion, input, context.CancellationToken).ConfigureAwait(false);
        V2Tensors.CheckRequestedOutputs(request, output.Name);
        return V2Tensors.WriteOutput(output, request.Id, raw: request.RawInputContents.Count > 0);
    }
}
