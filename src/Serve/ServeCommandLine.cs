using System.Globalization;
using Edge.Core;
using Edge.Core.Inference;
using Edge.Serve.Repository;

namespace Edge.Serve;

/// <summary>
/// The standalone executable's arguments (<c>Edge.Serve --repository /models --grpc-port 8001 ...</c>), the same
/// names as <c>edge serve</c>. The API key can also come from the EDGE_API_KEY environment variable, which keeps
/// it off the process list.
/// </summary>
public static class ServeCommandLine
{
    public const string Usage = """
        Edge.Serve --repository PATH [options]
          --repository PATH         model repository (<repo>/<model>/<version>/) or one package folder (required)
          --host ADDRESS            bind address (default 127.0.0.1; 0.0.0.0 in a container)
          --server-name NAME        name in server metadata (default edge; Triton's examples check for triton)
          --grpc-port N             gRPC, HTTP/2 (default 8001; 0 = free port)
          --http-port N             REST + /metrics, HTTP/1.1 (default 8000; 0 = free port)
          --threads N               ONNX Runtime intra-op threads per model (default 0 = all cores)
          --ort-spinning on|off     let idle ONNX Runtime threads spin-wait (default off: they take Kestrel's CPU)
          --device cpu|cuda         execution provider (cuda needs a -p:EdgeOrtGpu=true build)
          --max-batch N             dynamic batching: most samples per model call (default 32; 1 = off)
          --max-queue-delay-ms MS   how long a batch waits to fill (default 2)
          --max-queue N             samples queued per model before RESOURCE_EXHAUSTED (default 4096)
          --version-policy P        latest, latest:N, all or specific:1,3 (default latest)
          --poll-seconds S          repository rescan period for hot reload (default 2; 0 = off)
          --api-key KEY             require this key (x-api-key metadata); or set EDGE_API_KEY
          --shadow-teacher PATH     also run a fraction of requests through this teacher, export agreement
          --shadow-fraction F       fraction shadowed (default 0.05)
          --shadow-window N         shadowed samples per model version the gate checks (default 2000)
          --shadow-gate-every N     re-run the gate after N new shadowed samples (default 200)
          --shadow-min-agreement P  gate: minimum top-1 agreement with the teacher, percent (default 90)
          --max-concurrency N       inference calls at once (default 512)
          --max-message-mb N        largest request (default 16)
          --idle-buffer-mb N        idle network buffers kept for reuse (default 4; a large request's others are freed)
          --shutdown-seconds S      drain time on stop (default 15)
        """;

    public static ServeOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
                throw new EdgeException($"unexpected argument '{a}'\n{Usage}");
            string name = a[2..], value;
            int eq = name.IndexOf('=');
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (i + 1 < args.Count)
                value = args[++i];
            else
                throw new EdgeException($"--{name} needs a value\n{Usage}");
            values[name] = value;
        }

        string Take(string name, string fallback) => values.Remove(name, out var v) ? v : fallback;
        int Int(string name, int fallback) => values.Remove(name, out var v)
            ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : throw new EdgeException($"--{name} takes a whole number, got '{v}'")
            : fallback;
        double Num(string name, double fallback) => values.Remove(name, out var v)
            ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) ? n : throw new EdgeException($"--{name} takes a number, got '{v}'")
            : fallback;

        var defaults = new ServeOptions { Repository = "" };
        var options = new ServeOptions
        {
            Repository = values.Remove("repository", out var repo) ? repo : throw new EdgeException($"--repository is required\n{Usage}"),
            Host = Take("host", defaults.Host),
            ServerName = Take("server-name", defaults.ServerName),
            GrpcPort = Int("grpc-port", defaults.GrpcPort),
            HttpPort = Int("http-port", defaults.HttpPort),
            Threads = Int("threads", 0),
            Device = ParseDevice(Take("device", "cpu")),
            OrtSpinning = ParseOnOff("ort-spinning", Take("ort-spinning", defaults.OrtSpinning ? "on" : "off")),
            Batching = new BatchingOptions
            {
                MaxBatchSize = Int("max-batch", defaults.Batching.MaxBatchSize),
                MaxQueueDelay = TimeSpan.FromMilliseconds(Num("max-queue-delay-ms", defaults.Batching.MaxQueueDelay.TotalMilliseconds)),
                MaxQueueSize = Int("max-queue", defaults.Batching.MaxQueueSize),
            },
            VersionPolicy = VersionPolicy.Parse(Take("version-policy", "latest")),
            PollInterval = TimeSpan.FromSeconds(Num("poll-seconds", defaults.PollInterval.TotalSeconds)),
            ApiKey = values.Remove("api-key", out var key) ? key : Environment.GetEnvironmentVariable("EDGE_API_KEY") is { Length: > 0 } env ? env : null,
            ShadowTeacher = values.Remove("shadow-teacher", out var teacher) ? teacher : null,
            ShadowFraction = Num("shadow-fraction", defaults.ShadowFraction),
            ShadowWindow = Int("shadow-window", defaults.ShadowWindow),
            ShadowGateEvery = Int("shadow-gate-every", defaults.ShadowGateEvery),
            ShadowThresholds = defaults.ShadowThresholds with { MinAgreement = Num("shadow-min-agreement", defaults.ShadowThresholds.MinAgreement) },
            MaxConcurrentRequests = Int("max-concurrency", defaults.MaxConcurrentRequests),
            MaxMessageBytes = checked(Int("max-message-mb", defaults.MaxMessageBytes >> 20) * 1024 * 1024),
            IdleBufferBytes = checked(Int("idle-buffer-mb", defaults.IdleBufferBytes >> 20) * 1024 * 1024),
            ShutdownTimeout = TimeSpan.FromSeconds(Num("shutdown-seconds", defaults.ShutdownTimeout.TotalSeconds)),
        };
        if (values.Count > 0)
            throw new EdgeException($"unknown option(s): {string.Join(", ", values.Keys.Select(k => "--" + k))}\n{Usage}");
        return options;
    }

    private static readonly Dictionary<string, bool> Switches = new(StringComparer.OrdinalIgnoreCase)
    {
        ["on"] = true, ["true"] = true, ["1"] = true,
        ["off"] = false, ["false"] = false, ["0"] = false,
    };

    public static bool ParseOnOff(string option, string text) =>
        Switches.TryGetValue(text, out bool on) ? on : throw new EdgeException($"--{option} takes on or off, got '{text}'");

    public static InferenceDevice ParseDevice(string text) => text.ToLowerInvariant() switch
    {
        "cpu" => InferenceDevice.Cpu,
        "cuda" or "gpu" => InferenceDevice.Cuda,
        _ => throw new EdgeException($"unknown device '{text}': use cpu or cuda"),
    };
}
