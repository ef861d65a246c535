using Edge.Core.Gate;
using Edge.Core.Inference;
using Edge.Serve.Repository;

namespace Edge.Serve;

/// <summary>Everything the server needs, typed. The CLI verb and the standalone executable both build one.</summary>
public sealed record ServeOptions
{
    /// <summary>A model repository (<c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/</c>) or a single model package folder.</summary>
    public required string Repository { get; init; }

    /// <summary>
    /// The name server metadata answers with. "edge" by default; Triton's own example scripts check for "triton",
    /// so the run of those examples passes <c>--server-name triton</c> (docs/SERVE.md).
    /// </summary>
    public string ServerName { get; init; } = Services.ServerInfo.DefaultName;

    /// <summary>Address to bind; loopback by default (a container passes 0.0.0.0).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>gRPC (HTTP/2, cleartext) port; 0 picks a free one.</summary>
    public int GrpcPort { get; init; } = 8001;

    /// <summary>REST (v2 JSON transcoding) and /metrics port (HTTP/1.1); 0 picks a free one.</summary>
    public int HttpPort { get; init; } = 8000;

    /// <summary>ONNX Runtime intra-op threads per model; 0 lets ONNX Runtime use every core.</summary>
    public int Threads { get; init; }

    public InferenceDevice Device { get; init; } = InferenceDevice.Cpu;

    /// <summary>
    /// Let ONNX Runtime's idle intra-op threads spin-wait between parallel sections. Off by default: the spinning
    /// threads take the cores Kestrel needs to parse requests and write answers (docs/BENCHMARKS.md, Serving).
    /// </summary>
    public bool OrtSpinning { get; init; }

    public BatchingOptions Batching { get; init; } = new();

    public VersionPolicy VersionPolicy { get; init; } = VersionPolicy.Latest(1);

    /// <summary>How often the repository is rescanned for added or removed versions; zero turns hot reload off.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>When set, every call except health and liveness needs metadata <c>x-api-key: KEY</c> (or <c>authorization: Bearer KEY</c>).</summary>
    public string? ApiKey { get; init; }

    /// <summary>Teacher package (or .onnx) to shadow a sampled fraction of requests with; null turns shadow mode off.</summary>
    public string? ShadowTeacher { get; init; }

    /// <summary>Fraction of requests (0..1) also run through the shadow teacher.</summary>
    public double ShadowFraction { get; init; } = 0.05;

    /// <summary>Shadowed samples kept per model version for the gate's checks (the rolling window).</summary>
    public int ShadowWindow { get; init; } = 2000;

    /// <summary>The window is re-analysed after this many new shadowed samples of a model version.</summary>
    public int ShadowGateEvery { get; init; } = 200;

    /// <summary>The gate thresholds applied to the shadow window (only the agreement rule applies: live data are unlabeled).</summary>
    public GateThresholds ShadowThresholds { get; init; } = new();

    /// <summary>Inference calls running at once; more wait (honouring their deadline).</summary>
    public int MaxConcurrentRequests { get; init; } = 512;

    /// <summary>Largest request message (gRPC) or body (REST) accepted, in bytes.</summary>
    public int MaxMessageBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Idle 4 KiB network buffers Kestrel's pools keep for reuse (<see cref="Hosting.BoundedBlockPool"/>), in bytes;
    /// the buffers a large request needed beyond this go back to the garbage collector once it is answered.
    /// </summary>
    public int IdleBufferBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>How long a stop waits for in-flight requests to finish.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ServerName))
            throw new Edge.Core.EdgeException("server name must not be empty (--server-name)");
        if (string.IsNullOrWhiteSpace(Repository))
            throw new Edge.Core.EdgeException("serve needs a model repository or package folder (--repository)");
        if (GrpcPort is < 0 or > 65535 || HttpPort is < 0 or > 65535)
            throw new Edge.Core.EdgeException($"ports must be 0..65535 (0 picks a free port), got gRPC {GrpcPort} and HTTP {HttpPort}");
        if (GrpcPort != 0 && GrpcPort == HttpPort)
            throw new Edge.Core.EdgeException($"the gRPC and HTTP ports must differ (both {GrpcPort})");
        if (Threads < 0)
            throw new Edge.Core.EdgeException($"threads must be 0 (ONNX Runtime default) or more, got {Threads}");
        if (!(ShadowFraction is >= 0 and <= 1))
            throw new Edge.Core.EdgeException($"shadow fraction must be in [0, 1], got {ShadowFraction}");
        if (ShadowWindow < 1 || ShadowGateEvery < 1)
            throw new Edge.Core.EdgeException($"shadow window and gate interval must be at least 1, got {ShadowWindow} and {ShadowGateEvery}");
        ShadowThresholds.Validate();
        if (MaxConcurrentRequests < 1)
            throw new Edge.Core.EdgeException($"max concurrent requests must be at least 1, got {MaxConcurrentRequests}");
        if (MaxMessageBytes < 1024)
            throw new Edge.Core.EdgeException($"max message size must be at least 1024 bytes, got {MaxMessageBytes}");
        if (IdleBufferBytes < 0)
            throw new Edge.Core.EdgeException($"idle buffer pool size cannot be negative, got {IdleBufferBytes} bytes");
        if (PollInterval < TimeSpan.Zero)
            throw new Edge.Core.EdgeException("poll interval cannot be negative");
        Batching.Validate();
    }
}

/// <summary>Dynamic batching: requests queued for one model are merged into one ONNX Runtime call.</summary>
public sealed record BatchingOptions
{
    /// <summary>Most samples in one model call; 1 turns batching off.</summary>
    public int MaxBatchSize { get; init; } = 32;

    /// <summary>How long the first request of a batch may wait for others to join it.</summary>
    public TimeSpan MaxQueueDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Samples waiting per model before new requests are refused with RESOURCE_EXHAUSTED.</summary>
    public int MaxQueueSize { get; init; } = 4096;

    public static BatchingOptions Disabled => new() { MaxBatchSize = 1, MaxQueueDelay = TimeSpan.Zero };

    public void Validate()
    {
        if (MaxBatchSize < 1)
            throw new Edge.Core.EdgeException($"max batch size must be at least 1, got {MaxBatchSize}");
        if (MaxQueueDelay < TimeSpan.Zero || MaxQueueDelay > TimeSpan.FromSeconds(10))
            throw new Edge.Core.EdgeException($"max queue delay must be 0..10 s, got {MaxQueueDelay.TotalMilliseconds} ms");
        if (MaxQueueSize < MaxBatchSize)
            throw new Edge.Core.EdgeException($"max queue size ({MaxQueueSize}) must be at least the max batch size ({MaxBatchSize})");
    }
}
