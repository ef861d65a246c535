using Edge.Core;
using Edge.Core.Inference;
using Edge.Core.Manifest;
using Edge.Serve.Batching;
using Edge.Serve.Inference;
using Edge.Serve.Metrics;
using Edge.Serve.Protocol.Triton;
using Edge.Serve.Statistics;
using Edge.Serve.Tensors;

namespace Edge.Serve.Repository;

/// <summary>
/// One loaded version of one model: its ONNX Runtime session, its model configuration, its scheduler and statistics,
/// and, for a folder with an Edge manifest, what makes it an image classifier. Requests hold a lease
/// (<see cref="TryAcquire"/>) while they use it, so an unloaded version is disposed only after its last in-flight
/// request finished: hot reload never fails a request.
/// </summary>
public sealed class ModelVersion : IAsyncDisposable
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _leases;
    private int _retiring;

    private ModelVersion(string name, long version, string folder, TensorSession session, ModelConfig config, ClassifierInfo? classifier, DynamicBatcher batcher, InferenceStatistics statistics)
    {
        Name = name;
        Version = version;
        Folder = folder;
        Session = session;
        Config = config;
        Classifier = classifier;
        Batcher = batcher;
        Statistics = statistics;
    }

    public string Name { get; }
    public long Version { get; }
    public string VersionText => Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
    public string Folder { get; }
    public TensorSession Session { get; }
    public ModelConfig Config { get; }
    /// <summary>Null for a plain tensor model (a folder without an Edge manifest).</summary>
    public ClassifierInfo? Classifier { get; }
    public DynamicBatcher Batcher { get; }
    public InferenceStatistics Statistics { get; }
    public bool Ready { get; private set; }
    /// <summary>"fp32", "int8" or "fp16" from the manifest; a tensor model says "onnx".</summary>
    public string Precision => Classifier?.Manifest.Precision ?? "onnx";

    /// <summary>
    /// Loads the model in <paramref name="folder"/> (an Edge package when <paramref name="manifest"/> is given, else a
    /// plain ONNX file), resolves its configuration, and answers one warm-up request before it is ready.
    /// </summary>
    public static async Task<ModelVersion> LoadAsync(string name, long version, string folder, ModelManifest? manifest, ModelConfig? userConfig,
        ServeOptions options, ServeMetrics metrics, CancellationToken cancellationToken)
    {
        string file = userConfig is { DefaultModelFilename.Length: > 0 } u ? u.DefaultModelFilename : manifest?.ModelFile ?? RepositoryLayout.DefaultModelFile;
        if (Path.GetFileName(file) != file)
            throw new EdgeException($"model '{name}': default_model_filename '{Text.Clip(file)}' must be a file name inside the version folder");
        string modelPath = Path.Combine(folder, file);
        var run = new OnnxRunOptions { IntraOpThreads = options.Threads, Device = options.Device, AllowSpinning = options.OrtSpinning };
        var session = await Task.Run(() => new TensorSession(modelPath, run), cancellationToken).ConfigureAwait(false);
        try
        {
            var classifier = manifest is null ? null : ClassifierInfo.Bind(manifest, session, Path.Combine(folder, ModelPackage.ManifestFileName));
            var config = ModelConfigs.Resolve(name, session, classifier, file, userConfig, options);
            var statistics = new InferenceStatistics();
            var batcher = new DynamicBatcher(session, ModelConfigs.Policy(config, options), statistics, metrics, name, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var model = new ModelVersion(name, version, folder, session, config, classifier, batcher, statistics);
            try
            {
                await model.WarmUpAsync(cancellationToken).ConfigureAwait(false);
                statistics.Reset();
                model.Ready = true;
                return model;
            }
            catch
            {
                await batcher.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// One request of zeros (strings "0" for BYTES inputs) through the scheduler: a full batch (up to 64) for a
    /// batched model, so ONNX Runtime's arena and the request path are ready before the first client call.
    /// </summary>
    private async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        int batch = Math.Clamp(Config.MaxBatchSize, 1, 64);
        var inputs = Session.Inputs.Select(t =>
        {
            long[] shape = t.Shape.Select((d, i) => i == 0 && Config.MaxBatchSize > 0 ? batch : d < 0 ? 1 : d).ToArray();
            long count = HostTensor.ElementCountOf(shape);
            if (t.DataType.IsBytes)
                return HostTensor.Strings(t.Name, shape, Enumerable.Repeat(new ReadOnlyMemory<byte>("0"u8.ToArray()), (int)count).ToArray());
            var buffer = PooledBuffer.Rent(count * t.DataType.ElementSize);
            buffer.Span.Clear();
            return HostTensor.Fixed(t.Name, t.DataType, shape, buffer.Memory, buffer);
        }).ToArray();
        try
        {
            var outputs = await Batcher.InferAsync(inputs, cancellationToken).ConfigureAwait(false);
            try
            {
                if (Classifier is { } c)
                {
                    var logits = outputs[Session.Outputs.ToList().FindIndex(o => o.Name == c.Output.Name)];
                    if (logits.ElementCount != (long)batch * c.NumClasses)
                        throw new EdgeException($"{Session.ModelPath} answered {logits.ElementCount} scores for {batch} warm-up samples; its manifest lists {c.NumClasses} labels");
                    if (HasNaN(logits.As<float>()))
                        throw new EdgeException($"{Session.ModelPath} failed its warm-up request (NaN output)");
                }
            }
            finally
            {
                foreach (var o in outputs)
                    o.Dispose();
            }
        }
        catch (ServeException e)
        {
            throw new EdgeException($"{Session.ModelPath} failed its warm-up request: {e.Message}");
        }
        catch (Microsoft.ML.OnnxRuntime.OnnxRuntimeException e)
        {
            throw new EdgeException($"{Session.ModelPath} failed its warm-up request: {e.Message.Split('\n')[0].Trim()}");
        }
        finally
        {
            foreach (var t in inputs)
                t.Dispose();
        }
    }

    private static bool HasNaN(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
            if (float.IsNaN(v))
                return true;
        return false;
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
