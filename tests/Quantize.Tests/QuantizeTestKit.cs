using Xunit;
using Edge.Quantize.Calibration;
using Edge.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;

namespace Edge.Quantize.Tests;

/// <summary>Shared helpers: a temp folder, seeded inputs, ORT runs and op counting.</summary>
internal static class QuantizeTestKit
{
    public static float[] RandomBatch(int n, long[] sample, int seed) => OrtRun.RandomBatch(n, sample, seed);

    public static float[] Run(string modelPath, float[] input, long[] shape, int threads = 1, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL) =>
        OrtRun.Run(modelPath, input, shape, threads, level);

    public static Dictionary<string, int> OpCounts(string modelPath) => OrtRun.OpCounts(modelPath);


    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "edge-quant-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static ICalibrationSource CalibrationSet(long[] sample, int batches = 4, int batchSize = 8) =>
        new CalibrationSource(sample, Enumerable.Range(0, batches).Select(b => RandomBatch(batchSize, sample, 100 + b)).ToList());

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
