using Edge.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;

namespace Edge.Testing;

/// <summary>Seeded inputs, one ONNX Runtime run of a model file, and op counts: what graph and quantizer tests compare with.</summary>
public static class OrtRun
{
    /// <summary>Uniform values in [-1, 1), seeded.</summary>
    public static float[] RandomBatch(int n, long[] sample, int seed)
    {
        var rng = new Random(seed);
        long len = n * sample.Aggregate(1L, (a, b) => a * b);
        var v = new float[len];
        for (long i = 0; i < len; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }

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

    public static Dictionary<string, int> OpCounts(string modelPath)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(modelPath));
        return model.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
    }

    public static int Count(this Dictionary<string, int> counts, string op) => counts.GetValueOrDefault(op);
}
