using System.CommandLine;
using Edge.Serve;
using Edge.Serve.Repository;

namespace Edge.Cli.Commands;

/// <summary>
/// <c>edge serve</c>: serves a model repository (or one package) over gRPC and REST (KServe v2 with Triton's extensions + image Classify),
/// in this process, until Ctrl+C; then drains in-flight requests. Same server as the standalone Edge.Serve.
/// </summary>
public sealed class ServeCommand : ICliCommand
{
    public Command Build()
    {
        var defaults = new ServeOptions { Repository = "" };
        var repository = new Option<string>("--repository") { Description = "Model repository (<repo>/<model>/<version>/ with model.onnx + manifest.json) or one model package folder", Required = true };
        var host = new Option<string>("--host") { Description = "Bind address (0.0.0.0 to accept other machines)", DefaultValueFactory = _ => defaults.Host };
        var serverName = new Option<string>("--server-name") { Description = "Name in server metadata (Triton's example scripts check for 'triton')", DefaultValueFactory = _ => defaults.ServerName };
        var grpcPort = new Option<int>("--grpc-port") { Description = "gRPC port, HTTP/2 (0 picks a free port)", DefaultValueFactory = _ => defaults.GrpcPort };
        var httpPort = new Option<int>("--http-port") { Description = "REST (v2 JSON) and /metrics port, HTTP/1.1 (0 picks a free port)", DefaultValueFactory = _ => defaults.HttpPort };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads per model (0 = all cores)" };
        var spinning = new Option<string>("--ort-spinning") { Description = "on: idle ONNX Runtime threads spin-wait between parallel sections (off by default: they take the CPU request handling needs)", DefaultValueFactory = _ => defaults.OrtSpinning ? "on" : "off" };
        var device = new Option<string>("--device") { Description = "cpu or cuda (cuda needs a -p:EdgeOrtGpu=true build; otherwise falls back to CPU with a warning)", DefaultValueFactory = _ => "cpu" };
        var maxBatch = new Option<int>("--max-batch") { Description = "Dynamic batching: most samples per model call (1 turns batching off)", DefaultValueFactory = _ => defaults.Batching.MaxBatchSize };
        var delay = new Option<double>("--max-queue-delay-ms") { Description = "How long a batch waits to fill, in ms", DefaultValueFactory = _ => defaults.Batching.MaxQueueDelay.TotalMilliseconds };
        var maxQueue = new Option<int>("--max-queue") { Description = "Samples queued per model before requests are refused (RESOURCE_EXHAUSTED)", DefaultValueFactory = _ => defaults.Batching.MaxQueueSize };
        var policy = new Option<string>("--version-policy") { Description = "Versions served per model: latest, latest:N, all, specific:1,3", DefaultValueFactory = _ => "latest" };
        var poll = new Option<double>("--poll-seconds") { Description = "Repository rescan period for hot reload (0 = off)", DefaultValueFactory = _ => defaults.PollInterval.TotalSeconds };
        var apiKey = new Option<string?>("--api-key") { Description = "Require this key in x-api-key metadata (default: EDGE_API_KEY if set)" };
        var shadow = new Option<string?>("--shadow-teacher") { Description = "Teacher package or .onnx to shadow a sample of requests with; agreement exported on /metrics" };
        var fraction = new Option<double>("--shadow-fraction") { Description = "Fraction of requests shadowed", DefaultValueFactory = _ => defaults.ShadowFraction };
        var window = new Option<int>("--shadow-window") { Description = "Shadowed samples per model version the gate checks (rolling window)", DefaultValueFactory = _ => defaults.ShadowWindow };
        var gateEvery = new Option<int>("--shadow-gate-every") { Description = "Re-run the gate on the window after this many new shadowed samples", DefaultValueFactory = _ => defaults.ShadowGateEvery };
        var minAgreement = new Option<double>("--shadow-min-agreement") { Description = "Gate on live traffic: minimum top-1 agreement with the teacher, percent", DefaultValueFactory = _ => defaults.ShadowThresholds.MinAgreement };
        var concurrency = new Option<int>("--max-concurrency") { Description = "Inference calls running at once", DefaultValueFactory = _ => defaults.MaxConcurrentRequests };
        var maxMessage = new Option<int>("--max-message-mb") { Description = "Largest request accepted, MB", DefaultValueFactory = _ => defaults.MaxMessageBytes >> 20 };

        var command = new Command("serve", "Serve models over gRPC and REST (KServe v2 with Triton's extensions, + image Classify) with dynamic batching, model control, hot reload and /metrics")
        {
            repository, host, serverName, grpcPort, httpPort, threads, spinning, device, maxBatch, delay, maxQueue, policy, poll, apiKey, shadow, fraction, window, gateEvery, minAgreement, concurrency, maxMessage,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ServeOptions
            {
                Repository = parse.GetValue(repository)!,
                Host = parse.GetValue(host)!,
                ServerName = parse.GetValue(serverName)!,
                GrpcPort = parse.GetValue(grpcPort),
                HttpPort = parse.GetValue(httpPort),
                Threads = parse.GetValue(threads),
                Device = ServeCommandLine.ParseDevice(parse.GetValue(device)!),
                OrtSpinning = ServeCommandLine.ParseOnOff("ort-spinning", parse.GetValue(spinning)!),
                Batching = new BatchingOptions
                {
                    MaxBatchSize = parse.GetValue(maxBatch),
                    MaxQueueDelay = TimeSpan.FromMilliseconds(parse.GetValue(delay)),
                    MaxQueueSize = parse.GetValue(maxQueue),
                },
                VersionPolicy = VersionPolicy.Parse(parse.GetValue(policy)!),
                PollInterval = TimeSpan.FromSeconds(parse.GetValue(poll)),
                ApiKey = parse.GetValue(apiKey) ?? (Environment.GetEnvironmentVariable("EDGE_API_KEY") is { Length: > 0 } env ? env : null),
                ShadowTeacher = parse.GetValue(shadow),
                ShadowFraction = parse.GetValue(fraction),
                ShadowWindow = parse.GetValue(window),
                ShadowGateEvery = parse.GetValue(gateEvery),
                ShadowThresholds = defaults.ShadowThresholds with { MinAgreement = parse.GetValue(minAgreement) },
                MaxConcurrentRequests = parse.GetValue(concurrency),
                MaxMessageBytes = checked(parse.GetValue(maxMessage) * 1024 * 1024),
            };
            await using var server = await EdgeServer.StartAsync(options, cancellationToken);
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"gRPC {server.GrpcAddress}  REST {server.HttpAddress}  metrics {server.HttpAddress}/metrics  (Ctrl+C stops, draining requests)");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                output.WriteLine("stopping: draining in-flight requests");
            }
            return 0;
        });
        return command;
    }
}
