namespace Edge.Distill.Training;

/// <summary>
/// Keeps garbage collections on the training thread while batches are built on worker threads.
/// <para>
/// Why: TorchSharp converts numbers to <c>Scalar</c> objects on the fly (<c>a.add_(b)</c> is <c>add_(b, 1)</c>, and
/// every <c>tensor * 0.5</c>) and passes their handle to libtorch without keeping the object alive; <c>Scalar</c> has a
/// finalizer that frees the native value. When a collection starts on another thread (a batch worker allocating)
/// while the training thread is between reading such a handle and libtorch reading the value, the finalizer can free
/// it first: libtorch then fails with "Expected false to be true" in <c>Scalar::toFloat</c>, or reads garbage. It hit
/// a 20,000-image distill run once in its second epoch after the data path moved to worker threads. A collection the
/// training thread starts itself, between steps, cannot race that way.
/// </para>
/// <para>
/// So the trainer collects generation 0 itself after every step and evaluation batch (cheap: the young generation holds
/// little more than the prefetched batches; tinyvit-quick-32 still trains at ~1,000 img/s on two idle cores), which
/// empties the budget before the workers' allocations for one step can fill it and start a collection on
/// their side. Large buffers (above 85,000 bytes: 224 px canvases) count against the large-object budget instead,
/// which can still start a collection on a worker; that residual risk is documented, not removed.
/// </para>
/// </summary>
internal static class TrainingThreadGc
{
    /// <summary>Collects generation 0 on the calling (training) thread.</summary>
    public static void AfterStep() => GC.Collect(0, GCCollectionMode.Forced, blocking: true, compacting: false);
}
