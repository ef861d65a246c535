using System.Diagnostics;
using Edge.Core;
using Microsoft.ML.OnnxRuntime;

namespace Edge.Quantize.Speed;

/// <summary>
/// Times a model file at each of <see cref="BatchSizes"/>, in milliseconds per run. Comparisons only use samples
/// taken close together (interleaved), so a probe need not be absolute, only consistent; tests inject a fake one.
/// </summary>
public interface ISpeedProbe : IDisposable
{
    IReadOnlyList<int> BatchSizes { get; }

    /// <summary>Milliseconds per run at each batch size, in <see cref="BatchSizes"/> order.</summary>
    double[] Measure(string modelPath);
}

/// <summary>
/// ONNX Runtime CPU timing with the serving settings (ORT_ENABLE_ALL, sequential, <c>threads</c> intra-op threads).
/// Batch 1 is the median of back-to-back runs, not the minimum: with 2 intra-op threads a single-image run is bimodal
/// (it either goes at one-thread speed or pays the hand-off to ONNX Runtime's second thread; docs/BENCHMARKS.md,
/// "Quantizer round 4"), and the minimum would reward the mode a stream of requests rarely sees. Larger batches take
/// the best of a few runs: a long run is not bimodal, and on a shared machine load can only slow it down. Larger
/// batches are timed first, so batch-1 runs start from the steady state of single requests, not right after a burst.
/// Sessions are cached per path, so interleaved re-measurements time the model, not session creation.
/// </summary>
public sealed class OrtSpeedProbe : ISpeedProbe
{
    private readonly Dictionary<string, InferenceSession> _sessions = new(StringComparer.Ordinal);
    private readonly float[] _samples;
    private readonly long[] _sampleShape;
    private readonly long _sampleLength;
    private readonly int _threads, _batch1Runs, _batchRuns;
    private readonly int[] _order;

    /// <param name="samples">Real inputs (calibration images), flattened; batches larger than their count repeat them.</param>
    public OrtSpeedProbe(float[] samples, long[] sampleShape, IReadOnlyList<int> batchSizes, int threads = 2, int batch1Runs = 100, int batchRuns = 5)
    {
        _sampleLength = sampleShape.Aggregate(1L, (a, b) => a * b);
        if (_sampleLength <= 0 || samples.Length < _sampleLength) throw new EdgeException("the speed probe needs at least one input sample");
        if (batchSizes.Count == 0 || batchSizes.Any(b => b < 1)) throw new EdgeException($"batch sizes must be positive, got [{string.Join(", ", batchSizes)}]");
        BatchSizes = [.. batchSizes];
        _samples = samples;
        _sampleShape = sampleShape;
        (_threads, _batch1Runs, _batchRuns) = (threads, batch1Runs, batchRuns);
        _order = Enumerable.Range(0, BatchSizes.Count).OrderByDescending(i => BatchSizes[i]).ToArray();
    }

    public IReadOnlyList<int> BatchSizes { get; }

    public double[] Measure(string modelPath)
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
        using var runOptions = new RunOptions();
        var result = new double[BatchSizes.Count];
        foreach (int i in _order)
        {
            int batch = BatchSizes[i];
            using var value = OrtValue.CreateTensorValueFromMemory(Batch(batch), [batch, .. _sampleShape]);
            double Time()
            {
                long t0 = Stopwatch.GetTimestamp();
                using var r = session.Run(runOptions, [input], [value], [output]);
                return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            if (batch == 1)
            {
                for (int w = 0; w < 20; w++) Time();
                var times = Enumerable.Range(0, _batch1Runs).Select(_ => Time()).Order().ToArray();
                result[i] = times[times.Length / 2];
            }
            else
            {
                Time();
                result[i] = Enumerable.Range(0, _batchRuns).Select(_ => Time()).Min();
            }
        }
        return result;
    }

    private float[] Batch(int batch)
    {
        var data = new float[batch * _sampleLength];
        long available = _samples.Length / _sampleLength * _sampleLength;
        for (long i = 0; i < data.Length; i++) data[i] = _samples[i % available];
        return data;
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

/// <summary>Cost comparisons built on a probe: every figure is a ratio of runs taken back to back.</summary>
public static class SpeedComparison
{
    /// <summary>
    /// Speed-up of <paramref name="candidate"/> over <paramref name="reference"/> at each of the probe's batch sizes
    /// (reference ms / candidate ms, above 1: the candidate is faster): the median over <paramref name="rounds"/>
    /// interleaved rounds, alternating which model goes first so warm-up and load spikes favour neither.
    /// </summary>
    public static double[] Speedups(ISpeedProbe probe, string reference, string candidate, int rounds)
    {
        if (rounds < 1) throw new EdgeException($"a speed comparison needs at least one round, got {rounds}");
        var perRound = new List<double[]>();
        for (int r = 0; r < rounds; r++)
        {
            double[] a, b;
            if (r % 2 == 0) { a = probe.Measure(reference); b = probe.Measure(candidate); }
            else { b = probe.Measure(candidate); a = probe.Measure(reference); }
            perRound.Add(a.Zip(b, (x, y) => x / y).ToArray());
        }
        return Enumerable.Range(0, probe.BatchSizes.Count).Select(i => Median(perRound.Select(p => p[i]))).ToArray();
    }

    /// <summary>One number to minimise: the mean over batch sizes of candidate time / reference time (below 1: faster).</summary>
    public static double CostRatio(double[] speedups) => speedups.Average(s => 1 / s);

    public static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length == 0 ? double.NaN : s[s.Length / 2];
    }

    public static void Forget(ISpeedProbe probe, string path)
    {
        if (probe is OrtSpeedProbe ort) ort.Forget(path);
    }
}
