using System.Globalization;
using Edge.Core;
using Edge.Core.Inference;
using Edge.Core.Manifest;
using Edge.Serve.Metrics;
using Microsoft.Extensions.Logging;

namespace Edge.Serve.Repository;

/// <summary>
/// The models being served. Requests read an immutable snapshot (name → ready versions, newest first), so a
/// rescan never blocks them; a rescan loads added versions (ready only after warm-up), publishes the new
/// snapshot, and only then unloads removed versions, each after its in-flight requests finished.
/// </summary>
public sealed partial class ModelRepository : IAsyncDisposable
{
    private readonly ServeOptions _options;
    private readonly ServeMetrics _metrics;
    private readonly ILogger<ModelRepository> _log;
    private readonly SemaphoreSlim _scanLock = new(1, 1);
    private readonly Dictionary<(string Model, long Version), (ModelVersion Model, string Stamp)> _loaded = [];
    private readonly Dictionary<(string Model, long Version), string> _failed = [];
    private volatile IReadOnlyDictionary<string, ModelVersion[]> _table = new Dictionary<string, ModelVersion[]>();
    private volatile bool _stopping;

    public ModelRepository(ServeOptions options, ServeMetrics metrics, ILogger<ModelRepository> log)
    {
        _options = options;
        _metrics = metrics;
        _log = log;
        Root = Path.GetFullPath(options.Repository);
    }

    public string Root { get; }

    /// <summary>True after a successful load while not shutting down.</summary>
    public bool IsReady => !_stopping && _table.Count > 0;

    public IReadOnlyCollection<string> ModelNames => [.. _table.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Ready versions of a model, newest first (empty if unknown).</summary>
    public IReadOnlyList<ModelVersion> VersionsOf(string name) => _table.TryGetValue(name, out var v) ? v : [];

    /// <summary>Stops reporting ready (shutdown has begun); requests already admitted still finish.</summary>
    public void MarkStopping() => _stopping = true;

    /// <summary>
    /// A lease on the version a request names (empty: the newest ready one). Unknown model or version → NOT_FOUND.
    /// Dispose the lease when the request is done.
    /// </summary>
    public ModelLease Acquire(string name, string? version)
    {
        for (int attempt = 0; attempt < 8; attempt++)
        {
            var table = _table;
            if (!table.TryGetValue(name ?? "", out var versions))
                throw ServeException.NotFound(UnknownModel(name, table));
            ModelVersion? pick;
            if (string.IsNullOrEmpty(version))
                pick = versions[0];
            else
            {
                if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                    throw ServeException.NotFound($"model {name} has no version '{Clip(version)}' (versions are numbers; loaded: {string.Join(", ", versions.Select(x => x.Version))})");
                pick = versions.FirstOrDefault(x => x.Version == v)
                       ?? throw ServeException.NotFound($"model {name} has no version {v} loaded (loaded: {string.Join(", ", versions.Select(x => x.Version))})");
            }
            if (pick.TryAcquire())
                return new ModelLease(pick);
            // That version began unloading between the snapshot and the lease: read the newer snapshot.
        }
        throw ServeException.Unavailable($"model {name} is being reloaded; retry");
    }

    /// <summary>Whether a model (and version, if given) is loaded, warmed up and serving.</summary>
    public bool IsModelReady(string name, string? version)
    {
        if (_stopping || !_table.TryGetValue(name ?? "", out var versions))
            return false;
        if (string.IsNullOrEmpty(version))
            return versions.Any(v => v.Ready);
        return long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out long n) && versions.Any(v => v.Version == n && v.Ready);
    }

    /// <summary>First load: fails (with every reason) when nothing could be loaded.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var errors = await RescanAsync(cancellationToken).ConfigureAwait(false);
        if (_table.Count == 0)
        {
            string why = errors.Count > 0 ? string.Join("; ", errors)
                : $"expected {Root}/<model>/<version>/{ModelPackage.ManifestFileName} (+ its ONNX file), or a package folder holding {ModelPackage.ManifestFileName}";
            throw new EdgeException($"no model could be served from {Root}: {why}");
        }
    }

    /// <summary>Brings the loaded set in line with the disk and the version policy; returns load errors.</summary>
    public async Task<IReadOnlyList<string>> RescanAsync(CancellationToken cancellationToken)
    {
        await _scanLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (found, skipped) = RepositoryLayout.Scan(Root);
            foreach (var s in skipped)
                LogSkipped(s);
            var wanted = new Dictionary<(string, long), VersionFolder>();
            foreach (var group in found.GroupBy(f => f.Model))
            {
                var keep = _options.VersionPolicy.Select(group.Select(g => g.Version));
                foreach (var f in group.Where(g => keep.Contains(g.Version)))
                    wanted[(f.Model, f.Version)] = f;
            }

            var errors = new List<string>();
            var run = new OnnxRunOptions { IntraOpThreads = _options.Threads, Device = _options.Device, AllowSpinning = _options.OrtSpinning };
            foreach (var (key, folder) in wanted.OrderBy(k => k.Key.Item1, StringComparer.Ordinal).ThenBy(k => k.Key.Item2))
            {
                if (_loaded.TryGetValue(key, out var current) && current.Stamp == folder.Stamp)
                    continue;
                if (_failed.TryGetValue(key, out var failedStamp) && failedStamp == folder.Stamp)
                    continue;
                try
                {
                    var package = ModelPackage.Load(folder.Path);
                    var model = await ModelVersion.LoadAsync(key.Item1, key.Item2, package, run, _options.Batching, _metrics, cancellationToken).ConfigureAwait(false);
                    if (model.Session.FallbackNote is { } note)
                        LogDeviceFallback(key.Item1, key.Item2, note);
                    var replaced = _loaded.TryGetValue(key, out var old) ? old.Model : null;
                    _loaded[key] = (model, folder.Stamp);
                    _failed.Remove(key);
                    Publish();
                    _metrics.ModelEvents.WithLabels(key.Item1, model.VersionText, "loaded").Inc();
                    LogLoaded(key.Item1, key.Item2, package.ModelPath, model.Manifest.Precision, _options.Batching.MaxBatchSize);
                    if (replaced is not null)
                        await replaced.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is EdgeException or IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
                {
                    _failed[key] = folder.Stamp;
                    _metrics.ModelEvents.WithLabels(key.Item1, key.Item2.ToString(CultureInfo.InvariantCulture), "failed").Inc();
                    string message = $"{key.Item1} version {key.Item2}: {e.Message}";
                    errors.Add(message);
                    LogLoadFailed(key.Item1, key.Item2, e.Message);
                }
            }

            var removed = _loaded.Keys.Where(k => !wanted.ContainsKey(k)).ToList();
            var retiring = new List<ModelVersion>();
            foreach (var key in removed)
            {
                retiring.Add(_loaded[key].Model);
                _loaded.Remove(key);
            }
            foreach (var key in _failed.Keys.Where(k => !wanted.ContainsKey(k)).ToList())
                _failed.Remove(key);
            if (retiring.Count > 0)
            {
                Publish();
                foreach (var model in retiring)
                {
                    await model.DisposeAsync().ConfigureAwait(false);
                    _metrics.ModelEvents.WithLabels(model.Name, model.VersionText, "unloaded").Inc();
                    LogUnloaded(model.Name, model.Version);
                }
            }
            return errors;
        }
        finally
        {
            _scanLock.Release();
        }
    }

    private void Publish()
    {
        _table = _loaded.Values.Select(v => v.Model).GroupBy(m => m.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(m => m.Version).ToArray(), StringComparer.Ordinal);
        _metrics.ModelsReady.Set(_loaded.Count);
    }

    private static string UnknownModel(string? name, IReadOnlyDictionary<string, ModelVersion[]> table) =>
        string.IsNullOrEmpty(name)
            ? $"no model name given; serving: {string.Join(", ", table.Keys.Order(StringComparer.Ordinal))}"
            : $"unknown model '{Clip(name)}'; serving: {string.Join(", ", table.Keys.Order(StringComparer.Ordinal))}";

    /// <summary>Request text echoed in messages is bounded and printable.</summary>
    private static string Clip(string s)
    {
        var clean = new string(s.Take(100).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return s.Length > 100 ? clean + "…" : clean;
    }

    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        await _scanLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var all = _loaded.Values.Select(v => v.Model).ToList();
            _loaded.Clear();
            _table = new Dictionary<string, ModelVersion[]>();
            foreach (var model in all)
                await model.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _scanLock.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "loaded {Model} version {Version} from {Path} ({Precision}, max batch {MaxBatch}); warm-up passed, ready")]
    private partial void LogLoaded(string model, long version, string path, string precision, int maxBatch);

    [LoggerMessage(Level = LogLevel.Information, Message = "unloaded {Model} version {Version} after its in-flight requests finished")]
    private partial void LogUnloaded(string model, long version);

    [LoggerMessage(Level = LogLevel.Error, Message = "could not load {Model} version {Version}: {Reason}")]
    private partial void LogLoadFailed(string model, long version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Model} version {Version}: {Note}")]
    private partial void LogDeviceFallback(string model, long version, string note);

    [LoggerMessage(Level = LogLevel.Debug, Message = "repository: skipped {What}")]
    private partial void LogSkipped(string what);
}

/// <summary>A request's hold on one model version; dispose it when the request is done.</summary>
public readonly struct ModelLease(ModelVersion model) : IDisposable
{
    public ModelVersion Model { get; } = model;

    public void Dispose() => Model.Release();
}
