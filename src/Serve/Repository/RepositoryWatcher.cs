using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Edge.Serve.Repository;

/// <summary>
/// Hot reload: rescans the repository every <see cref="ServeOptions.PollInterval"/>. Polling rather than file
/// system events: events are lost on network and container volumes, and a poll sees a version only once its
/// manifest is in place (Edge writes the model first, then the manifest).
/// </summary>
public sealed partial class RepositoryWatcher(ModelRepository repository, ServeOptions options, ILogger<RepositoryWatcher> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.PollInterval <= TimeSpan.Zero || RepositoryLayout.IsSinglePackage(repository.Root))
            return;
        using var timer = new PeriodicTimer(options.PollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await repository.RescanAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is Edge.Core.EdgeException or IOException or UnauthorizedAccessException)
                {
                    LogScanFailed(e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "repository rescan failed (still serving what is loaded): {Reason}")]
    private partial void LogScanFailed(string reason);
}
