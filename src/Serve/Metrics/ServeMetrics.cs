using Prometheus;

namespace Edge.Serve.Metrics;

/// <summary>
/// The server's Prometheus metrics, in a registry of its own (several servers can run in one process, as in tests).
/// Exposed at <c>/metrics</c> on the HTTP port.
/// </summary>
public sealed class ServeMetrics
{
    private static readonly double[] LatencyBuckets = Histogram.ExponentialBuckets(0.0005, 2, 16); // 0.5 ms .. 16 s

    public ServeMetrics(Hosting.BoundedBlockPoolFactory? pools = null)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        DotNetStats.Register(Registry);
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        Requests = f.CreateCounter("edge_requests_total", "gRPC and REST calls by method and final status code.",
            new CounterConfiguration { LabelNames = ["method", "status"] });
        RequestDuration = f.CreateHistogram("edge_request_duration_seconds", "Call latency from receipt to response, by method.",
            new HistogramConfiguration { LabelNames = ["method"], Buckets = LatencyBuckets });
        QueueDuration = f.CreateHistogram("edge_queue_duration_seconds", "Time a request waited in a model's batch queue.",
            new HistogramConfiguration { LabelNames = ["model"], Buckets = LatencyBuckets });
        InferDuration = f.CreateHistogram("edge_infer_duration_seconds", "ONNX Runtime time per batch.",
            new HistogramConfiguration { LabelNames = ["model"], Buckets = LatencyBuckets });
        BatchSize = f.CreateHistogram("edge_batch_size", "Samples per ONNX Runtime call.",
            new HistogramConfiguration { LabelNames = ["model"], Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256] });
        Samples = f.CreateCounter("edge_inference_samples_total", "Samples inferred, by model and version.",
            new CounterConfiguration { LabelNames = ["model", "version"] });
        ModelEvents = f.CreateCounter("edge_model_load_events_total", "Model version events: loaded, unloaded, failed.",
            new CounterConfiguration { LabelNames = ["model", "version", "event"] });
        ModelsReady = f.CreateGauge("edge_model_versions_ready", "Model versions loaded, warmed up and serving.");
        ShadowCompared = f.CreateCounter("edge_shadow_compared_total", "Samples also run through the shadow teacher.",
            new CounterConfiguration { LabelNames = ["model"] });
        ShadowAgreed = f.CreateCounter("edge_shadow_agreed_total", "Shadowed samples whose top-1 matched the teacher's.",
            new CounterConfiguration { LabelNames = ["model"] });
        ShadowAgreement = f.CreateGauge("edge_shadow_top1_agreement", "Running top-1 agreement with the shadow teacher (0..1).",
            new GaugeConfiguration { LabelNames = ["model"] });
        ShadowDropped = f.CreateCounter("edge_shadow_dropped_total", "Samples chosen for shadowing but dropped because the teacher was busy.");
        ShadowGatePassed = f.CreateGauge("edge_shadow_gate_passed", "Gate rule outcome on the shadow window (1 = pass, 0 = fail), by model version and rule.",
            new GaugeConfiguration { LabelNames = ["model", "version", "rule"] });
        ShadowAgreementLowerBound = f.CreateGauge("edge_shadow_agreement_lower_bound", "Lower end of the bootstrap interval of top-1 agreement on the shadow window (0..1).",
            new GaugeConfiguration { LabelNames = ["model", "version"] });
        ShadowAgreementUpperBound = f.CreateGauge("edge_shadow_agreement_upper_bound", "One-sided upper bound of top-1 agreement on the shadow window (0..1); min-agreement fails when it is below the minimum.",
            new GaugeConfiguration { LabelNames = ["model", "version"] });
        ShadowMeanKl = f.CreateGauge("edge_shadow_mean_kl", "Mean KL(teacher || served model) on the shadow window, in nats.",
            new GaugeConfiguration { LabelNames = ["model", "version"] });
        var committed = f.CreateGauge("edge_gc_committed_bytes", "Memory the .NET garbage collector has committed (heap in use plus what it keeps for reuse).");
        var heap = f.CreateGauge("edge_gc_heap_bytes", "The .NET garbage collector's heap size after the last collection.");
        var idle = f.CreateGauge("edge_buffer_pool_idle_bytes", "Idle network buffers Kestrel's pools keep for reuse (at most --idle-buffer-mb).");
        var allocated = f.CreateCounter("edge_buffer_pool_allocated_bytes_total", "Network buffers allocated since start (when no idle one was left).");
        var dropped = f.CreateCounter("edge_buffer_pool_dropped_bytes_total", "Network buffers returned beyond the idle cap and left to the garbage collector.");
        Registry.AddBeforeCollectCallback(() =>
        {
            var info = GC.GetGCMemoryInfo();
            committed.Set(info.TotalCommittedBytes);
            heap.Set(info.HeapSizeBytes);
            if (pools is not null)
            {
                var all = pools.Pools;
                idle.Set(all.Sum(p => (double)p.IdleBlocks) * Hosting.BoundedBlockPool.BlockSize);
                allocated.IncTo(all.Sum(p => (double)p.AllocatedBlocks) * Hosting.BoundedBlockPool.BlockSize);
                dropped.IncTo(all.Sum(p => (double)p.DroppedBlocks) * Hosting.BoundedBlockPool.BlockSize);
            }
        });
        ShadowWindowSamples = f.CreateGauge("edge_shadow_window_samples", "Samples in the shadow window at the last gate analysis.",
            new GaugeConfiguration { LabelNames = ["model", "version"] });
    }

    public CollectorRegistry Registry { get; }
    public Counter Requests { get; }
    public Histogram RequestDuration { get; }
    public Histogram QueueDuration { get; }
    public Histogram InferDuration { get; }
    public Histogram BatchSize { get; }
    public Counter Samples { get; }
    public Counter ModelEvents { get; }
    public Gauge ModelsReady { get; }
    public Counter ShadowCompared { get; }
    public Counter ShadowAgreed { get; }
    public Gauge ShadowAgreement { get; }
    public Counter ShadowDropped { get; }
    public Gauge ShadowGatePassed { get; }
    public Gauge ShadowAgreementLowerBound { get; }
    public Gauge ShadowAgreementUpperBound { get; }
    public Gauge ShadowMeanKl { get; }
    public Gauge ShadowWindowSamples { get; }
}
