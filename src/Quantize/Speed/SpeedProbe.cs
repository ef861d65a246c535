using System.Diagnostics;
using Edge.Core;
using Microsoft.ML.OnnxRuntime;

namespace Edge.Quantize.Speed;

/// <summary>
/// One timing of a model, in milliseconds: the median batch-1 latency of back-to-back runs, and the best batch-N
/// wall time. Batch-1 is the median, not the minimum: with 2 intra-op threads a single-image run is bimodal (it
/// either goes at one-thread speed or pays the hand-off to ONNX Runtime's second thread; docs/BENCHMARKS.md,
/// "Quantizer round 4"), and the minimum would reward the mode a stream of requests rarely sees. Batch-N keeps the
/// minimum: a long run is not bimodal, and on a shared machine load can only slow it down.
/// </summary>
public readonly record struct SpeedSample(double Batch1Ms, double BatchMs);

/// <summary>
/// Times a model file. The speed search only compares samples taken close together (interleaved), so a probe
/// need not be absolute, only consistent; tests inject a fake one.
/// </summary>
public interface ISpeedProbe : IDisposable
{
    SpeedSample Measure(string modelPath);
}

/// <summary>
/// ONNX Runtime CPU timing with the serving settings (ORT_ENABLE_ALL, sequential, <c>threads</c> intra-op
/// threads). Sessions are cached per path, so interleaved re-measurements time the model, not session creation.
/// </summary>
public sealed class OrtSpeedProbe : ISpeedProbe
{
    private readonly Dictionary<string, InferenceSession> _sessions = new(StringComparer.Ordinal);
    private readonly float[] _batch;
    private readonly long[] _sampleShape;
    private readonly int _batchSize, _threads, _batch1Runs, _batchRuns;

    /// <param name="samples">At least <paramref name="batchSize"/> real inputs (calibration images), flattened.</param>
    public OrtSpeedProbe(float[] samples, long[] sampleShape, int batchSize = 64, int threads = 2, int batch1Runs = 100, int batchRuns = 5)
    {
        long len = sampleShape.Aggregate(1L, (a, b) => a * b);
        if (len <= 0 || samples.Length < len) throw new EdgeException("the speed probe needs at least one input sample");
        _batchSize = (int)Math.Min(batchSize, samples.Length / len);
        _batch = samples.AsSpan(0, (int)(_batchSize * len)).ToArray();
        _sampleShape = sampleShape;
        (_threads, _batch1Runs, _batchRuns) = (threads, batch1Runs, batchRuns);
    }

    public SpeedSample Measure(string modelPath)
    {
        if (!_sessions.TryGetValue(modelPath, out var session))
        {
            using var options = new SessionOptions
            {
                IntraOpNumThreads = _threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            session = new InferenceSession(modelPath, options);
            _sessions[modelPath] = session;
        }
        string input = session.InputMetadata.Keys.First(), output = session.OutputMetadata.Keys.First();
        long len = _sampleShape.Aggregate(1L, (a, b) => a * b);
        using var one = OrtValue.CreateTensorValueFromMemory(_batch.AsSpan(0, (int)len).ToArray(), [1, .. _sampleShape]);
        using var many = OrtValue.CreateTensorValueFromMemory(_batch, [_batchSize, .. _sampleShape]);
        using var runOptions = new RunOptions();
        double Time(OrtValue x)
        {
            long t0 = Stopwatch.GetTimestamp();
            using var r = session.Run(runOptions, [input], [x], [output]);
            return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        // Batch-N first: the batch-1 runs then start from the steady state of single requests, not right after a burst.
        Time(many);
        var bn = Enumerable.Range(0, _batchRuns).Select(_ => Time(many)).Order().ToArray();
        for (int i = 0; i < 20; i++) Time(one);
        var b1 = Enumerable.Range(0, _batch1Runs).Select(_ => Time(one)).Order().ToArray();
        return new SpeedSample(b1[b1.Length / 2], bn[0]);
    }

    /// <summary>Closes the cached session of a model about to be deleted.</summary>
    public void Forget(string modelPath)
    {
        if (_sessions.Remove(modelPath, out var s)) s.Dispose();
    }

    public void Dispose()
    {
        foreach (var s in _sessions.Values) s.Dispose();
        _sessions.Clear();
    }
}
