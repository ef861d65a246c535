using Edge.Serve.Repository;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Edge.Serve.Hosting;

/// <summary>grpc.health.v1 readiness: healthy once a model passed warm-up, unhealthy while shutting down.</summary>
public sealed class ModelsReadyHealthCheck(ModelRepository repository) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(repository.IsReady
            ? HealthCheckResult.Healthy($"serving {string.Join(", ", repository.ModelNames)}")
            : HealthCheckResult.Unhealthy("no model ready (loading, or shutting down)"));
}
