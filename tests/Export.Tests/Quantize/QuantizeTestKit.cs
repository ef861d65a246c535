using Xunit;
using Edge.Export.Quantize.Calibration;
using Edge.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;

namespace Edge.Export.Tests.Quantize;

/// <summary>Shared helpers: a temp folder, seeded inputs, ORT runs and op counting.</summary>
internal static class QuantizeTestKit
{
    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "edge-quant-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static float[] RandomBatch(int n, long[] sample, int seed)
    {
        var rng = new Random(seed);
        long len = n * sample.Aggregate(1L, (a, b) => a * b);
        var v = new float[len];
        for (long i = 0; i < len; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

    public static ICalibrationSource Calibration(long[] sample, int batches = 4, int batchSize = 8) =>
        new CalibrationSource(sample, Enumerable.Range(0, batches).Select(b => RandomBatch(batchSize, sample, 100 + b)).ToList());

    public static float[] Run(string modelPath, float[] input, long[] shape, int threads = 1, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        using var options = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = level };
        using var session = new InferenceSession(modelPath, options);
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        string inputName = session.InputMetadata.Keys.First();
        using var runOptions = new RunOptions(); // never inline: the finalizer could free it during the run
        using var results = session.Run(runOptions, [inputName], [value], [session.OutputMetadata.Keys.First()]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    /// <summary>Largest |difference| between two models' outputs on the same seeded batch of <paramref name="n"/> samples.</summary>
    public static double MaxAbsDiff(string a, string b, long[] sample, int n, int seed)
    {
        var x = RandomBatch(n, sample, seed);
        long[] shape = [n, .. sample];
        var expected = Run(a, x, shape);
        var actual = Run(b, x, shape);
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
    }

    /// <summary>Op counts of the graph ONNX Runtime actually runs: <paramref name="modelPath"/> after its optimizer at <paramref name="level"/>.</summary>
    public static Dictionary<string, int> OrtOptimizedOpCounts(string modelPath, GraphOptimizationLevel level)
    {
        string optimized = Path.ChangeExtension(modelPath, $".ort-{level}.onnx");
        using (var options = new SessionOptions { GraphOptimizationLevel = level, OptimizedModelFilePath = optimized })
        using (new InferenceSession(modelPath, options)) { }
        return OpCounts(optimized);
    }

    public static Dictionary<string, int> OpCounts(string modelPath)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
        return model.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
    }

    public static int Count(this Dictionary<string, int> counts, string op) => counts.GetValueOrDefault(op);

    /// <summary>Mean absolute difference relative to the mean float output magnitude.</summary>
    public static double MeanRelativeError(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, reference = 0;
        for (int i = 0; i < expected.Length; i++) { diff += Math.Abs(expected[i] - actual[i]); reference += Math.Abs(expected[i]); }
        return diff / Math.Max(reference, 1e-6);
    }

    /// <summary>Largest absolute difference relative to the largest float output magnitude.</summary>
    public static double RelativeError(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double maxRef = expected.Max(MathF.Abs), maxDiff = 0;
        for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]));
        return maxDiff / Math.Max(maxRef, 1e-6);
    }
}
