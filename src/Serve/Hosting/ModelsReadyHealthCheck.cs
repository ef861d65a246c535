using Edge.Serve.Repository;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Edge.Serve.Hosting;

/// <summary>The service names grpc.health.v1 answers for, besides "" (the whole server).</summary>
public static class HealthNames
{
    public const string Inference = "inference.GRPCInferenceService";
    public const string Classifier = "edge.serve.v1.ImageClassifier";
}

/// <summary>grpc.health.v1 readiness of the server and the v2 service: healthy once a model passed warm-up, unhealthy while shutting down.</summary>
public sealed class ModelsReadyHealthCheck(ModelRepository repository) : IHealthCheck
{
    public const string Name = "models";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(repository.IsReady
            ? HealthCheckResult.Healthy($"serving {string.Join(", ", repository.ModelNames)}")
            : HealthCheckResult.Unhealthy("no model ready (loading, or shutting down)"));
}

/// <summary>Readiness of the image classifier service: an Edge classifier (a model with a manifest) is ready.</summary>
public sealed class ClassifierReadyHealthCheck(ModelRepository repository) : IHealthCheck
{
    public const string Name = "classifier";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(repository.IsReady && repository.All.Any(v => v.Classifier is not null && v.Ready)
            ? HealthCheckResult.Healthy("an image classifier is ready")
            : HealthCheckResult.Unhealthy("no image classifier (a model with an Edge manifest) is ready"));
}
