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
    /// Requests are processed concurrently (up to 32 in flight, so they share batches) and answered in order.
    /// A bad image ends the stream with its error and the index of the message that caused it.
    /// </summary>
    public override async Task ClassifyStream(IAsyncStreamReader<ClassifyRequest> requestStream, IServerStreamWriter<ClassifyResponse> responseStream, ServerCallContext context)
    {
        const int window = 32;
        var pending = new Queue<(int Index, string Id, Task<ClassifyResult> Task)>();
        int index = 0;
        var ct = context.CancellationToken;
        try
        {
            while (await requestStream.MoveNext(ct).ConfigureAwait(false))
            {
                var r = requestStream.Current;
                pending.Enqueue((index++, r.Id, engine.ClassifyAsync(r.ModelName, r.ModelVersion, r.Image.Memory, r.TopK, ct)));
                while (pending.Count >= window || (pending.Count > 0 && pending.Peek().Task.IsCompleted))
                    await WriteNextAsync(pending, responseStream).ConfigureAwait(false);
            }
            while (pending.Count > 0)
                await WriteNextAsync(pending, responseStream).ConfigureAwait(false);
        }
        finally
        {
            // Observe whatever is left so no task fails unobserved after an early error.
            foreach (var p in pending)
                _ = p.Task.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    private static async Task WriteNextAsync(Queue<(int Index, string Id, Task<ClassifyResult> Task)> pending, IServerStreamWriter<ClassifyResponse> stream)
    {
        var (index, id, task) = pending.Dequeue();
        ClassifyResult result;
        try
        {
            result = await task.ConfigureAwait(false);
        }
        catch (Edge.Core.EdgeException e)
        {
            var code = e is ServeException s ? s.Code : StatusCode.InvalidArgument;
            throw new RpcException(new Status(code, $"stream message {index}: {e.Message}"));
        }
        await stream.WriteAsync(ToResponse(result, id)).ConfigureAwait(false);
    }

    private static ClassifyResponse ToResponse(ClassifyResult result, string id)
    {
        var response = new ClassifyResponse { ModelName = result.Model, ModelVersion = result.Version, Id = id };
        response.Predictions.AddRange(result.Top.Select(t => new Prediction { Index = t.Index, Label = t.Label, Probability = t.Probability }));
        return response;
    }
}
