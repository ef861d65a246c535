using Edge.Serve.Inference;
using Edge.Serve.Protocol.Classify;
using Grpc.Core;

namespace Edge.Serve.Services;

/// <summary><c>edge.serve.v1.ImageClassifier</c>: encoded image bytes in, top-k labels out.</summary>
public sealed class ImageClassifierService(InferenceEngine engine) : ImageClassifier.ImageClassifierBase
{
    public override async Task<ClassifyResponse> Classify(ClassifyRequest request, ServerCallContext context)
    {
        var result = await engine.ClassifyAsync(request.ModelName, request.ModelVersion, request.Image.Memory, request.TopK, context.CancellationToken).ConfigureAwait(false);
        return ToResponse(result, request.Id);
    }

    /// <summary>
    /// Requests are processed concurrently (up to 32 in flight, so they share batches) and answered in order as each
    /// finishes. A bad image ends the stream with its error and the index of the message that caused it.
    /// </summary>
    public override Task ClassifyStream(IAsyncStreamReader<ClassifyRequest> requestStream, IServerStreamWriter<ClassifyResponse> responseStream, ServerCallContext context) =>
        OrderedStream.RunAsync(requestStream, (r, index) => ClassifyOne(r, index, context.CancellationToken), responseStream.WriteAsync, 32, context.CancellationToken);

    private async Task<ClassifyResponse> ClassifyOne(ClassifyRequest r, int index, CancellationToken ct)
    {
        try
        {
            return ToResponse(await engine.ClassifyAsync(r.ModelName, r.ModelVersion, r.Image.Memory, r.TopK, ct).ConfigureAwait(false), r.Id);
        }
        catch (Edge.Core.EdgeException e)
        {
            var code = e is ServeException s ? s.Code : StatusCode.InvalidArgument;
            throw new RpcException(new Status(code, $"stream message {index}: {e.Message}"));
        }
    }

    private static ClassifyResponse ToResponse(ClassifyResult result, string id)
    {
        var response = new ClassifyResponse { ModelName = result.Model, ModelVersion = result.Version, Id = id };
        response.Predictions.AddRange(result.Top.Select(t => new Prediction { Index = t.Index, Label = t.Label, Probability = t.Probability }));
        return response;
    }
}
