namespace Edge.Serve.Interceptors;

/// <summary>
/// Bounds inference calls running at once over both protocols (<see cref="ServeOptions.MaxConcurrentRequests"/>); the
/// rest wait for a slot until their deadline or cancellation.
/// </summary>
public sealed class InferenceSlots(ServeOptions options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.MaxConcurrentRequests, options.MaxConcurrentRequests);

    public async Task<T> RunAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await call().ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}
