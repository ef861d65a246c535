using Grpc.Core;

namespace Edge.Serve.Interceptors;

/// <summary>
/// Bounds inference calls running at once (<see cref="ServeOptions.MaxConcurrentRequests"/>); the rest wait for a
/// slot until their deadline. Metadata and health calls are not counted, so probes answer under load.
/// </summary>
public sealed class ConcurrencyInterceptor(ServeOptions options) : CallInterceptor, IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.MaxConcurrentRequests, options.MaxConcurrentRequests);

    protected override async Task<T> InterceptAsync<T>(ServerCallContext context, Func<Task<T>> call)
    {
        if (!IsInference(context.Method))
            return await call().ConfigureAwait(false);
        await _slots.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        try
        {
            return await call().ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    private static bool IsInference(string method) =>
        method.EndsWith("/ModelInfer", StringComparison.Ordinal) || method.Contains("/Classify", StringComparison.Ordinal);

    public void Dispose() => _slots.Dispose();
}
