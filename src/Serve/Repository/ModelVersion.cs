using Edge.Core.Inference;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Serve.Batching;
using Edge.Serve.Metrics;

namespace Edge.Serve.Repository;

/// <summary>
/// One loaded version of one model: its package, ONNX Runtime session, preprocessor and batcher. Requests hold a
/// lease (<see cref="TryAcquire"/>) while they use it, so an unloaded version is disposed only after its last
/// in-flight request finished: hot reload never fails a request.
/// </summary>
public sealed class ModelVersion : IAsyncDisposable
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _leases;
    private int _retiring;

    private ModelVersion(string name, long version, ModelPackage package, OnnxClassifier session, DynamicBatcher batcher)
    {
        Name = name;
        Version = version;
        Package = package;
        Session = session;
        Batcher = batcher;
        Preprocessor = new Preprocessor(package.Manifest.Preprocess);
    }

    public string Name { get; }
    public long Version { get; }
    public string VersionText => Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
    public ModelPackage Package { get; }
    public ModelManifest Manifest => Package.Manifest;
    public OnnxClassifier Session { get; }
    public Preprocessor Preprocessor { get; }
    public DynamicBatcher Batcher { get; }
    public int NumClasses => Session.NumClasses;
    public int SampleLength => Session.SampleLength;
    public bool Ready { get; private set; }

    /// <summary>Loads the package, checks it against its manifest and answers one warm-up request before it is ready.</summary>
    public static async Task<ModelVersion> LoadAsync(string name, long version, ModelPackage package, OnnxRunOptions run,
        BatchingOptions batching, ServeMetrics metrics, CancellationToken cancellationToken)
    {
        var manifest = package.Manifest;
        var session = await Task.Run(() => new OnnxClassifier(package.ModelPath, run), cancellationToken).ConfigureAwait(false);
        try
        {
            var pre = manifest.Preprocess;
            session.CheckInput(pre.Channels, pre.Height, pre.Width, $"{package.ManifestPath} preprocessing");
            if (session.NumClasses != manifest.Labels.Count)
                throw new Edge.Core.EdgeException($"{package.ModelPath} has {session.NumClasses} outputs but {package.ManifestPath} lists {manifest.Labels.Count} labels");
            var model = new ModelVersion(name, version, package, session,
                new DynamicBatcher(session, batching, metrics, name, version.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            try
            {
                // Warm-up: one full-size batch through the batcher (allocates ORT's arenas, JITs the path).
                int warm = Math.Max(1, Math.Min(batching.MaxBatchSize, 64));
                var logits = await model.Batcher.InferAsync(new float[warm * session.SampleLength], warm, cancellationToken).ConfigureAwait(false);
                if (logits.Length != warm * session.NumClasses || logits.Any(float.IsNaN))
                    throw new Edge.Core.EdgeException($"{package.ModelPath} failed its warm-up request (wrong output size or NaN)");
                model.Ready = true;
                return model;
            }
            catch
            {
                await model.Batcher.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Takes a lease for one request; false once the version is being unloaded.</summary>
    public bool TryAcquire()
    {
        Interlocked.Increment(ref _leases);
        if (Volatile.Read(ref _retiring) == 0)
            return true;
        Release();
        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && Volatile.Read(ref _retiring) == 1)
            _drained.TrySetResult();
    }

    /// <summary>Refuses new leases, waits for the ones out, then frees the session.</summary>
    public async ValueTask DisposeAsync()
    {
        Interlocked.Exchange(ref _retiring, 1); // a full fence: the lease count below is read after it
        Ready = false;
        if (Volatile.Read(ref _leases) == 0)
            _drained.TrySetResult();
        await _drained.Task.ConfigureAwait(false);
        await Batcher.DisposeAsync().ConfigureAwait(false);
        Session.Dispose();
    }
}
