using System.Globalization;
using Edge.Core;
using Edge.Core.Manifest;
using Edge.Serve.Metrics;
using Edge.Serve.Protocol.Triton;
using Edge.Serve.Tensors;
using Microsoft.Extensions.Logging;

namespace Edge.Serve.Repository;

/// <summary>
/// The models being served. Requests read an immutable snapshot (name → ready versions, newest first), so a
/// rescan never blocks them; a rescan loads added versions (ready only after warm-up), publishes the new
/// snapshot, and only then unloads removed versions, each after its in-flight requests finished. Beside polling,
/// the repository API loads (or reloads, with an optional configuration override and uploaded files) and unloads
/// single models; polling then respects that choice (<see cref="ModelControl"/>).
/// </summary>
public sealed partial class ModelRepository : IAsyncDisposable
{
    private readonly ServeOptions _options;
    private readonly ServeMetrics _metrics;
    private readonly ILogger<ModelRepository> _log;
    private readonly SemaphoreSlim _scanLock = new(1, 1);
    private readonly Dictionary<(string Model, long Version), (ModelVersion Model, string Stamp)> _loaded = [];
    private readonly Dictionary<(string Model, long Version), (string Stamp, string Reason)> _failed = [];
    private readonly Dictionary<string, ModelControl> _controls = new(StringComparer.Ordinal);
    private readonly string _uploads = Path.Combine(Path.GetTempPath(), $"edge-serve-uploads-{Environment.ProcessId}-{Guid.NewGuid():N}");
    private volatile IReadOnlyDictionary<string, ModelVersion[]> _table = new Dictionary<string, ModelVersion[]>();
    private volatile bool _stopping;
    private volatile bool _started;
    // Read by readiness probes without the scan lock, so not computed from _controls there.
    private volatile bool _unloadedOnRequest;

    public ModelRepository(ServeOptions options, ServeMetrics metrics, ILogger<ModelRepository> log)
    {
        _options = options;
        _metrics = metrics;
        _log = log;
        Root = Path.GetFullPath(options.Repository);
    }

    public string Root { get; }

    /// <summary>True once the first load succeeded, while not shutting down and while something is served (or every model was unloaded on request).</summary>
    public bool IsReady => !_stopping && _started && (_table.Count > 0 || _unloadedOnRequest);

    public IReadOnlyCollection<string> ModelNames => [.. _table.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Ready versions of a model, newest first (empty if unknown).</summary>
    public IReadOnlyList<ModelVersion> VersionsOf(string name) => _table.TryGetValue(name, out var v) ? v : [];

    /// <summary>Every served version of every model.</summary>
    public IEnumerable<ModelVersion> All => _table.Values.SelectMany(v => v);

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
                    throw ServeException.NotFound($"Request for unknown model: '{name}' has no version '{Text.Clip(version)}' (versions are numbers; loaded: {string.Join(", ", versions.Select(x => x.Version))})");
                pick = versions.FirstOrDefault(x => x.Version == v)
                       ?? throw ServeException.NotFound($"Request for unknown model: '{name}' version {v} is not loaded (loaded: {string.Join(", ", versions.Select(x => x.Version))})");
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
                : $"expected {Root}/<model>/<version>/{RepositoryLayout.DefaultModelFile} (a tensor model, or with {ModelPackage.ManifestFileName} an image classifier), or a package folder holding {ModelPackage.ManifestFileName}";
            throw new EdgeException($"no model could be served from {Root}: {why}");
        }
        _started = true;
    }

    /// <summary>Brings the loaded set in line with the disk, the version policy and explicit model control; returns load errors.</summary>
    public async Task<IReadOnlyList<string>> RescanAsync(CancellationToken cancellationToken)
    {
        await _scanLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await SyncAsync(only: null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _scanLock.Release();
        }
    }

    /// <summary>
    /// Loads or reloads one model (the repository API's load): from its repository folder, or from uploaded files
    /// (<paramref name="files"/>: paths like <c>1/model.onnx</c> → contents), with <paramref name="config"/> overriding
    /// its configuration. The versions already served keep serving until the new ones are ready; a load that fails
    /// leaves them (and the model's previous control state) in place and throws naming why.
    /// </summary>
    public async Task LoadModelAsync(string name, ModelConfig? config, IReadOnlyDictionary<string, byte[]>? files, CancellationToken cancellationToken)
    {
        if (!RepositoryLayout.IsValidModelName(name ?? ""))
            throw ServeException.Invalid($"failed to load '{Text.Clip(name)}': not a valid model name (letters, digits, '_', '-', '.'; at most 100)");
        await _scanLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var previous = _controls.GetValueOrDefault(name!, ModelControl.Default);
            string? folder = null;
            if (files is { Count: > 0 })
            {
                if (config is null)
                    throw ServeException.Invalid($"failed to load '{name}': uploaded model files need a 'config' parameter too");
                folder = WriteUploads(name!, files);
            }
            else if (!RepositoryLayout.IsSinglePackage(Root) && !Directory.Exists(Path.Combine(Root, name!)))
                throw ServeException.NotFound($"failed to load '{name}': no model folder '{name}' in {Root} (models: {string.Join(", ", KnownModels())})");
            else if (RepositoryLayout.IsSinglePackage(Root) && !_loaded.Keys.Any(k => k.Model == name))
                throw ServeException.NotFound($"failed to load '{name}': this server serves the single package {Root} ({string.Join(", ", KnownModels())})");
            _controls[name!] = new ModelControl(false, config, folder ?? (config is null ? null : previous.FilesFolder), previous.Generation + 1);
            var errors = await SyncAsync(name, cancellationToken).ConfigureAwait(false);
            bool failed = errors.Count > 0 || !_loaded.Keys.Any(k => k.Model == name);
            if (failed)
            {
                _controls[name!] = previous;
                _unloadedOnRequest = _controls.Values.Any(c => c.Unloaded);
                if (folder is not null)
                    TryDelete(folder);
                string why = errors.Count > 0 ? string.Join("; ", errors) : "no version folder with an ONNX file";
                throw ServeException.Invalid($"failed to load '{name}': {why}");
            }
            if (previous.FilesFolder is { } old && old != _controls[name!].FilesFolder)
                TryDelete(old);
            LogControlled(name!, "loaded on request");
        }
        finally
        {
            _scanLock.Release();
        }
    }

    /// <summary>Unloads every version of a model (each after its in-flight requests); polling leaves it unloaded until the next load.</summary>
    public async Task UnloadModelAsync(string name, CancellationToken cancellationToken)
    {
        await _scanLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!KnownModels().Contains(name ?? ""))
                throw ServeException.NotFound($"Request for unknown model: '{Text.Clip(name)}' is not in the repository (models: {string.Join(", ", KnownModels())})");
            var previous = _controls.GetValueOrDefault(name!, ModelControl.Default);
            _controls[name!] = previous with { Unloaded = true };
            await SyncAsync(name, cancellationToken).ConfigureAwait(false);
            LogControlled(name!, "unloaded on request");
        }
        finally
        {
            _scanLock.Release();
        }
    }

    /// <summary>The repository index: every model folder's versions with their state (READY, UNAVAILABLE + reason).</summary>
    public async Task<IReadOnlyList<RepositoryEntry>> IndexAsync(bool readyOnly, CancellationToken cancellationToken)
    {
        await _scanLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var rows = new List<RepositoryEntry>();
            foreach (string name in KnownModels())
            {
                var control = _controls.GetValueOrDefault(name, ModelControl.Default);
                var loaded = _loaded.Where(kv => kv.Key.Model == name).OrderBy(kv => kv.Key.Version).ToList();
                var failed = _failed.Where(kv => kv.Key.Model == name && !_loaded.ContainsKey(kv.Key)).OrderBy(kv => kv.Key.Version).ToList();
                foreach (var (key, _) in loaded)
                    rows.Add(new RepositoryEntry(name, key.Version.ToString(CultureInfo.InvariantCulture), "READY", ""));
                if (readyOnly)
                    continue;
                foreach (var (key, f) in failed)
                    rows.Add(new RepositoryEntry(name, key.Version.ToString(CultureInfo.InvariantCulture), "UNAVAILABLE", f.Reason));
                if (loaded.Count == 0 && failed.Count == 0)
                    rows.Add(new RepositoryEntry(name, "", "UNAVAILABLE", control.Unloaded ? "unloaded" : "not loaded (no version selected by the version policy)"));
            }
            return rows;
        }
        finally
        {
            _scanLock.Release();
        }
    }

    /// <summary>Model names on disk, uploaded, or loaded.</summary>
    private SortedSet<string> KnownModels()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var f in RepositoryLayout.Scan(Root).Found)
                names.Add(f.Model);
        }
        catch (Exception e) when (e is EdgeException or IOException or UnauthorizedAccessException)
        {
            LogScanFailed(e.Message);
        }
        foreach (var (name, c) in _controls)
            if (c.FilesFolder is not null)
                names.Add(name);
        foreach (var key in _loaded.Keys)
            names.Add(key.Model);
        return names;
    }

    /// <summary>The reconciliation: under the scan lock. <paramref name="only"/> restricts it to one model.</summary>
    private async Task<IReadOnlyList<string>> SyncAsync(string? only, CancellationToken cancellationToken)
    {
        _unloadedOnRequest = _controls.Values.Any(c => c.Unloaded);
        var (disk, skipped) = RepositoryLayout.Scan(Root);
        foreach (var s in skipped)
            LogSkipped(s);
        var found = disk.Where(f => _controls.GetValueOrDefault(f.Model)?.FilesFolder is null).ToList();
        foreach (var (name, control) in _controls)
            if (control.FilesFolder is { } folder && Directory.Exists(folder))
                found.AddRange(RepositoryLayout.ScanVersions(name, folder, folder, folder, []));

        var wanted = new Dictionary<(string, long), (VersionFolder Folder, ModelControl Control)>();
        foreach (var group in found.GroupBy(f => f.Model))
        {
            var control = _controls.GetValueOrDefault(group.Key, ModelControl.Default);
            if (control.Unloaded || (only is not null && group.Key != only))
                continue;
            var policy = control.Config?.VersionPolicy is { } p ? ModelConfigs.FromProto(p) : _options.VersionPolicy;
            var keep = policy.Select(group.Select(g => g.Version));
            foreach (var f in group.Where(g => keep.Contains(g.Version)))
                wanted[(f.Model, f.Version)] = (f, control);
        }

        var errors = new List<string>();
        foreach (var (key, (folder, control)) in wanted.OrderBy(k => k.Key.Item1, StringComparer.Ordinal).ThenBy(k => k.Key.Item2))
        {
            string stamp = $"{folder.Stamp}|{control.Generation}";
            if (_loaded.TryGetValue(key, out var current) && current.Stamp == stamp)
                continue;
            if (_failed.TryGetValue(key, out var failure) && failure.Stamp == stamp)
                continue;
            try
            {
                var manifest = folder.HasManifest ? ModelPackage.Load(folder.Path).Manifest : null;
                var model = await ModelVersion.LoadAsync(key.Item1, key.Item2, folder.Path, manifest, control.Config, _options, _metrics, cancellationToken).ConfigureAwait(false);
                if (model.Session.FallbackNote is { } note)
                    LogDeviceFallback(key.Item1, key.Item2, note);
                var replaced = _loaded.TryGetValue(key, out var old) ? old.Model : null;
                _loaded[key] = (model, stamp);
                _failed.Remove(key);
                Publish();
                _metrics.ModelEvents.WithLabels(key.Item1, model.VersionText, "loaded").Inc();
                LogLoaded(key.Item1, key.Item2, model.Session.ModelPath, model.Classifier is null ? "tensor model" : $"image classifier, {model.Precision}",
                    model.Config.MaxBatchSize, string.Join(", ", model.Session.Providers));
                if (replaced is not null)
                    await replaced.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is EdgeException or IOException or UnauthorizedAccessException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                _failed[key] = (stamp, e.Message);
                _metrics.ModelEvents.WithLabels(key.Item1, key.Item2.ToString(CultureInfo.InvariantCulture), "failed").Inc();
                errors.Add($"{key.Item1} version {key.Item2}: {e.Message}");
                // A load request's failure is answered to its client; one found by a scan has nobody else to tell.
                if (only is null)
                    LogLoadFailed(key.Item1, key.Item2, e.Message);
                else
                    LogRequestedLoadFailed(key.Item1, key.Item2, e.Message);
            }
        }

        var removed = _loaded.Keys.Where(k => (only is null || k.Model == only) && !wanted.ContainsKey(k)).ToList();
        var retiring = new List<ModelVersion>();
        foreach (var key in removed)
        {
            retiring.Add(_loaded[key].Model);
            _loaded.Remove(key);
        }
        foreach (var key in _failed.Keys.Where(k => (only is null || k.Model == only) && !wanted.ContainsKey(k)).ToList())
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

    /// <summary>Writes a load request's files under a fresh folder of their own; paths stay inside it.</summary>
    private string WriteUploads(string name, IReadOnlyDictionary<string, byte[]> files)
    {
        string folder = Path.Combine(_uploads, $"{name}-{Guid.NewGuid():N}");
        try
        {
            foreach (var (relative, content) in files)
            {
                var parts = relative.Split('/');
                if (relative.Length == 0 || Path.IsPathRooted(relative) || parts.Any(p => p.Length == 0 || p == "." || p == ".." || p.Contains('\\')))
                    throw ServeException.Invalid($"failed to load '{name}': file parameter 'file:{Text.Clip(relative)}' must be a relative path inside the model folder, such as file:1/model.onnx");
                string path = Path.Combine(folder, Path.Combine(parts));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                Edge.Core.IO.AtomicFile.WriteAllBytes(path, content);
            }
            return folder;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(folder);
            // Triton's wording: the upload could not be laid out as a model folder.
            throw ServeException.Internal($"failed to load '{name}': failed to poll from model repository: cannot write an uploaded file ({e.Message})");
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
                Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
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
            : $"Request for unknown model: '{Text.Clip(name)}' is not found; serving: {string.Join(", ", table.Keys.Order(StringComparer.Ordinal))}";

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
            TryDelete(_uploads);
        }
        finally
        {
            _scanLock.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "loaded {Model} version {Version} from {Path} ({Kind}, max batch {MaxBatch}, execution providers: {Providers}); warm-up passed, ready")]
    private partial void LogLoaded(string model, long version, string path, string kind, int maxBatch, string providers);

    [LoggerMessage(Level = LogLevel.Information, Message = "unloaded {Model} version {Version} after its in-flight requests finished")]
    private partial void LogUnloaded(string model, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "model control: {Model} {What}")]
    private partial void LogControlled(string model, string what);

    [LoggerMessage(Level = LogLevel.Error, Message = "could not load {Model} version {Version}: {Reason}")]
    private partial void LogLoadFailed(string model, long version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "a load request for {Model} version {Version} failed (answered to the client; what was served before still serves): {Reason}")]
    private partial void LogRequestedLoadFailed(string model, long version, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Model} version {Version}: {Note}")]
    private partial void LogDeviceFallback(string model, long version, string note);

    [LoggerMessage(Level = LogLevel.Debug, Message = "repository: skipped {What}")]
    private partial void LogSkipped(string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "repository scan failed: {Reason}")]
    private partial void LogScanFailed(string reason);
}

/// <summary>A request's hold on one model version; dispose it when the request is done.</summary>
public readonly struct ModelLease(ModelVersion model) : IDisposable
{
    public ModelVersion Model { get; } = model;

    public void Dispose() => Model.Release();
}
