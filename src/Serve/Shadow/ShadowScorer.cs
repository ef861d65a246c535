using System.Threading.Channels;
using Edge.Core;
using Edge.Core.Metrics;
using Edge.Core.Imaging;
using Edge.Core.Inference;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Serve.Metrics;
using Edge.Serve.Repository;
using Microsoft.Extensions.Logging;

namespace Edge.Serve.Shadow;

/// <summary>
/// Shadow mode: a sampled fraction of served samples also runs through the teacher, off the request path, and the
/// running top-1 agreement is exported per model (<c>edge_shadow_top1_agreement</c>). The queue is small and
/// drops when the teacher falls behind, so shadowing never slows serving down or grows memory. The same worker feeds
/// the <see cref="ShadowGate"/>, which runs the accuracy gate's checks over a rolling window of recent samples.
/// </summary>
public sealed partial class ShadowScorer : IAsyncDisposable
{
    private const int QueueCapacity = 64;
    private readonly OnnxClassifier? _teacher;
    private readonly Preprocessor? _teacherPreprocessor;
    private readonly OutputKind _teacherKind;
    private readonly double _fraction;
    private readonly ServeMetrics _metrics;
    private readonly ILogger<ShadowScorer> _log;
    private readonly Channel<Job> _queue = Channel.CreateBounded<Job>(new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Task _worker = Task.CompletedTask;
    private readonly Dictionary<string, (long Compared, long Agreed)> _counts = [];
    private readonly ShadowGate? _gate;

    public ShadowScorer(ServeOptions options, ServeMetrics metrics, ILogger<ShadowScorer> log)
    {
        _metrics = metrics;
        _log = log;
        _fraction = options.ShadowFraction;
        if (options.ShadowTeacher is null || _fraction <= 0)
            return;
        var package = ModelPackage.TryLoad(options.ShadowTeacher);
        string modelPath = package?.ModelPath ?? Path.GetFullPath(options.ShadowTeacher);
        // The teacher gets its own threads' worth of work only when idle cores exist: one intra-op thread.
        _teacher = new OnnxClassifier(modelPath, new OnnxRunOptions { IntraOpThreads = 1, Device = options.Device, AllowSpinning = options.OrtSpinning });
        _teacherPreprocessor = package is null ? null : new Preprocessor(package.Manifest.Preprocess);
        _teacherKind = package?.Manifest.Output.Kind ?? OutputKind.Logits;
        _gate = new ShadowGate(options.ShadowWindow, options.ShadowGateEvery, options.ShadowThresholds, metrics, log);
        _worker = Task.Run(RunAsync);
        LogEnabled(modelPath, _fraction);
        LogGate(options.ShadowWindow, options.ShadowGateEvery, options.ShadowThresholds.MinAgreement);
    }

    public bool Enabled => _teacher is not null;

    /// <summary>The gate's checks over the rolling window of shadowed samples; null when shadow mode is off.</summary>
    public ShadowGate? Gate => _gate;

    /// <summary>
    /// Maybe queues one served batch of an image classifier for comparison (decided per call by the sampling
    /// fraction); the spans are copied only when the batch is chosen.
    /// </summary>
    public void Offer(ModelVersion model, ReadOnlySpan<float> studentInput, int samples, ReadOnlySpan<float> studentOutput, RawImage? image)
    {
        if (_teacher is null || model.Classifier is not { } c || Random.Shared.NextDouble() >= _fraction)
            return;
        var spec = c.Preprocessor.Spec;
        // Same input layout: the student's tensor is the teacher's (a bare teacher ONNX is assumed to share the
        // student's preprocessing). Different preprocessing: only an image request can be re-preprocessed.
        bool sameInput = _teacherPreprocessor is null ? _teacher.Accepts(spec.Channels, spec.Height, spec.Width)
            : _teacherPreprocessor.Spec.SameAs(spec);
        if (!sameInput && image is null)
            return;
        // The gate's analysis and the agreement read logits-form rows: a probability output becomes log-probabilities.
        var logits = OutputKinds.ToLogits(c.OutputKind, studentOutput.ToArray());
        if (!_queue.Writer.TryWrite(new Job(model.Name, model.VersionText, c.Labels, spec, sameInput ? studentInput.ToArray() : null, image, samples, logits)))
            _metrics.ShadowDropped.Inc();
    }

    private async Task RunAsync()
    {
        await foreach (var job in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                float[] input = job.Input ?? _teacherPreprocessor!.Run(job.Image!);
                float[] teacherLogits = OutputKinds.ToLogits(_teacherKind, _teacher!.Run(input, job.Samples));
                int sc = job.StudentLogits.Length / job.Samples, tc = teacherLogits.Length / job.Samples;
                int agreed = 0;
                for (int i = 0; i < job.Samples; i++)
                    if (Predictions.ArgMax(job.StudentLogits.AsSpan(i * sc, sc)) == Predictions.ArgMax(teacherLogits.AsSpan(i * tc, tc)))
                        agreed++;
                var (c, a) = _counts.GetValueOrDefault(job.Model);
                c += job.Samples;
                a += agreed;
                _counts[job.Model] = (c, a);
                _metrics.ShadowCompared.WithLabels(job.Model).Inc(job.Samples);
                _metrics.ShadowAgreed.WithLabels(job.Model).Inc(agreed);
                _metrics.ShadowAgreement.WithLabels(job.Model).Set((double)a / c);
                // The gate needs both answers over the same classes; a teacher with another label set gets agreement only.
                if (sc == tc && sc == job.Classes.Count)
                    for (int i = 0; i < job.Samples; i++)
                        _gate!.Add(job.Model, job.Version, job.Classes, job.Preprocess, teacherLogits.AsSpan(i * tc, tc), job.StudentLogits.AsSpan(i * sc, sc));
            }
            catch (Exception e) when (e is EdgeException or ArgumentException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                LogFailed(job.Model, e.Message);
            }
        }
    }

    /// <summary>Running agreement for a model, or null before the first comparison.</summary>
    public double? Agreement(string model)
    {
        var gauge = _metrics.ShadowAgreement.WithLabels(model);
        return _metrics.ShadowCompared.WithLabels(model).Value > 0 ? gauge.Value : null;
    }


    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
        _teacher?.Dispose();
    }

    private sealed record Job(string Model, string Version, IReadOnlyList<string> Classes, PreprocessSpec Preprocess, float[]? Input, RawImage? Image, int Samples, float[] StudentLogits);

    [LoggerMessage(Level = LogLevel.Information, Message = "shadow mode: {Fraction:P1} of requests also run through teacher {Teacher}; agreement exported as edge_shadow_top1_agreement")]
    private partial void LogEnabled(string teacher, double fraction);

    [LoggerMessage(Level = LogLevel.Information, Message = "shadow gate: min-agreement {MinAgreement}% checked over the last {Window} shadowed samples per model version, every {Every} samples; exported as edge_shadow_gate_passed")]
    private partial void LogGate(int window, int every, double minAgreement);

    [LoggerMessage(Level = LogLevel.Warning, Message = "shadow teacher failed on a {Model} request: {Reason}")]
    private partial void LogFailed(string model, string reason);
}
