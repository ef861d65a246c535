using Microsoft.Extensions.Hosting;

namespace Edge.Serve.Hosting;

/// <summary>The host lifetime for a server started inside another program: no Ctrl+C or SIGTERM handlers of its own.</summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
