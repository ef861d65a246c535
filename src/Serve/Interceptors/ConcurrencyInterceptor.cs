using Grpc.Core;

namespace Edge.Serve.Interceptors;

/// <summary>
/// Inference calls take one of the <see cref="InferenceSlots"/> (shared with REST); metadata and health calls are not
/// counted, so probes answer under load.
/// </summary>
public sealed class ConcurrencyInterceptor(InferenceSlots slots) : CallInterceptor
{
    protected override Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call) =>
        IsInference(context.Method) ? slots.RunAsync(call, context.CancellationToken) : call();

    private static bool IsInference(string method) =>
        method.EndsWith("/ModelInfer", StringComparison.Ordinal) || method.EndsWith("/Classify", StringComparison.Ordinal);
}
