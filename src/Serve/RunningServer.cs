using Edge.Serve.Metrics;
using Edge.Serve.Repository;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Serve;

/// <summary>A started server. Dispose (or <see cref="StopAsync"/>) stops it gracefully: in-flight requests drain first.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _stopped;

    internal RunningServer(WebApplication app, string grpcAddress, string httpAddress)
    {
        _app = app;
        GrpcAddress = grpcAddress;
        HttpAddress = httpAddress;
    }

    /// <summary>gRPC endpoint (HTTP/2 cleartext), e.g. <c>http://127.0.0.1:8001</c>.</summary>
    public string GrpcAddress { get; }

    /// <summary>REST (v2 JSON) and /metrics endpoint (HTTP/1.1), e.g. <c>http://127.0.0.1:8000</c>.</summary>
    public string HttpAddress { get; }

    public ModelRepository Repository => _app.Services.GetRequiredService<ModelRepository>();

    public ServeMetrics Metrics => _app.Services.GetRequiredService<ServeMetrics>();

    public IServiceProvider Services => _app.Services;

    /// <summary>Completes when the server has stopped (by <see cref="StopAsync"/> or, standalone, by SIGTERM).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        // Standalone, SIGTERM has already stopped the host by the time the caller disposes it.
        if (Interlocked.Exchange(ref _stopped, 1) == 0 && !_app.Lifetime.ApplicationStopped.IsCancellationRequested)
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
