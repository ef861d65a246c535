using System.Net;
using Edge.Core;
using Edge.Serve.Hosting;
using Edge.Serve.Inference;
using Edge.Serve.Interceptors;
using Edge.Serve.Metrics;
using Edge.Serve.Repository;
using Edge.Serve.Rest;
using Edge.Serve.Services;
using Edge.Serve.Shadow;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Edge.Serve;

/// <summary>
/// Builds and starts the server: gRPC (KServe v2 with Triton's extensions, Edge's image classifier, health per service,
/// reflection) on an HTTP/2 cleartext port, and the KServe v2 REST API with Triton's extensions plus <c>/metrics</c> on
/// an HTTP/1.1 port.
/// The CLI (<c>edge serve</c>), the standalone executable and the tests all start it through this class.
/// </summary>
public static partial class EdgeServer
{
    /// <summary>
    /// Starts a server inside the calling process and returns once every model has loaded and passed warm-up.
    /// Ports 0 pick free ones (read them from the result). Dispose the result to stop it gracefully.
    /// </summary>
    public static Task<RunningServer> StartAsync(ServeOptions options, CancellationToken cancellationToken = default) =>
        StartAsync(options, embedded: true, configureLogging: null, cancellationToken);

    /// <summary>As <see cref="StartAsync(ServeOptions, CancellationToken)"/>, with the logging set up by the caller.</summary>
    public static Task<RunningServer> StartAsync(ServeOptions options, Action<ILoggingBuilder> configureLogging, CancellationToken cancellationToken = default) =>
        StartAsync(options, embedded: true, configureLogging, cancellationToken);

    /// <summary>The standalone server: runs until SIGTERM/Ctrl+C, then drains in-flight requests and exits.</summary>
    public static async Task<int> RunAsync(ServeOptions options, CancellationToken cancellationToken = default)
    {
        await using var server = await StartAsync(options, embedded: false, configureLogging: null, cancellationToken).ConfigureAwait(false);
        await server.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    private static async Task<RunningServer> StartAsync(ServeOptions options, bool embedded, Action<ILoggingBuilder>? configureLogging, CancellationToken cancellationToken)
    {
        options.Validate();
        var (app, grpcListen, httpListen) = Build(options, embedded, configureLogging);
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Edge.Serve");
        try
        {
            // Listen first (liveness answers while models load), then load: readiness turns true after warm-up.
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            var repository = app.Services.GetRequiredService<ModelRepository>();
            await repository.LoadAsync(cancellationToken).ConfigureAwait(false);
            LargeRequestMemory.Collect();
            string host = options.Host.Contains(':') ? $"[{options.Host}]" : options.Host;
            var server = new RunningServer(app, $"http://{host}:{grpcListen().Port}", $"http://{host}:{httpListen().Port}");
            LogStarted(log, server.GrpcAddress, server.HttpAddress, repository.Root,
                string.Join(", ", repository.ModelNames.Select(n => $"{n} [{string.Join(", ", repository.VersionsOf(n).Select(v => v.Version))}]")),
                options.Batching.MaxBatchSize, options.Batching.MaxQueueDelay.TotalMilliseconds);
            LogProviders(log, string.Join(", ", Inference.TensorSession.AvailableProviders), options.Device.ToString().ToLowerInvariant());
            if (options.Device == Edge.Core.Inference.InferenceDevice.Cuda
                && repository.All.Any(v => v.Session.FallbackNote is not null))
                LogCpuFallback(log);
            return server;
        }
        catch
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static (WebApplication App, Func<IPEndPoint> Grpc, Func<IPEndPoint> Http) Build(ServeOptions options, bool embedded, Action<ILoggingBuilder>? configureLogging)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(EdgeServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        if (configureLogging is not null)
            configureLogging(builder.Logging);
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
            builder.Logging.AddFilter("Grpc", LogLevel.Warning);
            // The health service logs every unhealthy check as an error; "no image classifier is served" (a server of
            // tensor models) and "still loading" are states, answered NOT_SERVING, not faults.
            builder.Logging.AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical);
        }
        if (embedded)
            builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();

        IPAddress address = ParseHost(options.Host);
        ListenOptions? grpcListen = null, httpListen = null;
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxMessageBytes;
            k.Listen(address, options.GrpcPort, l =>
            {
                l.Protocols = HttpProtocols.Http2;
                grpcListen = l;
            });
            k.Listen(address, options.HttpPort, l =>
            {
                l.Protocols = HttpProtocols.Http1;
                httpListen = l;
            });
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        // Kestrel's transports take their memory pool from this factory (registered after Kestrel's own, so it is the
        // one resolved): a bounded pool instead of one that keeps a large request's blocks for minutes.
        var pools = new BoundedBlockPoolFactory(options.IdleBufferBytes / BoundedBlockPool.BlockSize);
        builder.Services.AddSingleton(pools);
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>>(pools);

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(_ => new ServeMetrics(pools));
        builder.Services.AddSingleton<ModelRepository>();
        builder.Services.AddSingleton<ShadowScorer>();
        builder.Services.AddSingleton<InferenceEngine>();
        builder.Services.AddHostedService<RepositoryWatcher>();
        builder.Services.AddSingleton<MetricsInterceptor>();
        builder.Services.AddSingleton<ErrorInterceptor>();
        builder.Services.AddSingleton<ApiKeyInterceptor>();
        builder.Services.AddSingleton<ConcurrencyInterceptor>();
        builder.Services.AddSingleton<ApiKeyCheck>();
        builder.Services.AddSingleton<InferenceSlots>();
        builder.Services.AddSingleton<RestFilter>();
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = options.MaxMessageBytes;
            o.EnableDetailedErrors = false;
            // Outermost first: every call is counted, errors are mapped, then keys and slots are checked.
            o.Interceptors.Add<MetricsInterceptor>();
            o.Interceptors.Add<ErrorInterceptor>();
            o.Interceptors.Add<ApiKeyInterceptor>();
            o.Interceptors.Add<ConcurrencyInterceptor>();
        });
        builder.Services.AddGrpcReflection();
        // grpc.health.v1 per service name: "" (the whole server), the v2 inference service, the image classifier;
        // any other name is NOT_FOUND, as the health protocol asks.
        builder.Services.AddGrpcHealthChecks(o =>
            {
                o.Services.Map("", _ => true);
                o.Services.Map(HealthNames.Inference, r => r.Name == ModelsReadyHealthCheck.Name);
                o.Services.Map(HealthNames.Classifier, r => r.Name == ClassifierReadyHealthCheck.Name);
            })
            .AddCheck<ModelsReadyHealthCheck>(ModelsReadyHealthCheck.Name)
            .AddCheck<ClassifierReadyHealthCheck>(ClassifierReadyHealthCheck.Name);

        var app = builder.Build();
        var repository = app.Services.GetRequiredService<ModelRepository>();
        app.Lifetime.ApplicationStopping.Register(repository.MarkStopping);
        app.MapGrpcService<InferenceService>();
        app.MapGrpcService<ImageClassifierService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        RestEndpoints.Map(app, options);
        app.MapMetrics("/metrics", app.Services.GetRequiredService<ServeMetrics>().Registry);
        // Resolved after start, when Kestrel has written the bound ports (port 0 → the chosen one) back.
        return (app, () => grpcListen!.IPEndPoint!, () => httpListen!.IPEndPoint!);
    }

    private static IPAddress ParseHost(string host) =>
        host == "localhost" ? IPAddress.Loopback
        : IPAddress.TryParse(host, out var ip) ? ip
        : throw new EdgeException($"--host must be an IP address (127.0.0.1, 0.0.0.0, ::) or localhost, got '{host}'");

    [LoggerMessage(Level = LogLevel.Information, Message = "serving gRPC on {Grpc} (HTTP/2) and REST + /metrics on {Http} (HTTP/1.1) from {Root}: {Models}; dynamic batching up to {MaxBatch} waiting ≤ {DelayMs} ms")]
    private static partial void LogStarted(ILogger log, string grpc, string http, string root, string models, int maxBatch, double delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "ONNX Runtime execution providers in this build: {Providers}; --device {Device}")]
    private static partial void LogProviders(ILogger log, string providers, string device);

    [LoggerMessage(Level = LogLevel.Warning, Message = "--device cuda: this ONNX Runtime build has no CUDA provider, so models run on the CPU (build with -p:EdgeOrtGpu=true for CUDA)")]
    private static partial void LogCpuFallback(ILogger log);
}
