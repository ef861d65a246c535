using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace Edge.Bench.Quantize;

/// <summary>Top-1 accuracy, batch-1 latency and batch-64 throughput of one ONNX model under ONNX Runtime CPU.</summary>
internal sealed record Measurement(string Variant, long Bytes, double Top1, double Agreement, double Batch1Ms, double Batch64ImgPerSec, double Batch1BestMs, double Batch64BestImgPerSec);

internal static class ModelMeasure
{
    public static int WarmUp { get; set; } = 20;

    /// <param name="spinning">ONNX Runtime's intra-op spin-wait (its default): on 2 vCPUs a spinning worker also slows the thread doing the work.</param>
    public static InferenceSession Open(string path, int threads, bool spinning = true)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
        return new InferenceSession(path, options);
    }

    /// <summary>Predicted class of every sample in <paramref name="data"/> ([n, ...sample] flattened), in batches of 64.</summary>
    public static int[] Predict(InferenceSession session, float[] data, long[] sample, int n)
    {
        string input = session.InputMetadata.Keys.First(), output = session.OutputMetadata.Keys.First();
        int len = (int)sample.Aggregate(1L, (a, b) => a * b);
        var preds = new int[n];
        // Kept alive by `using`: an inline new RunOptions() can be finalized while ORT still runs (SIGSEGV in OrtRun).
        using var runOptions = new RunOptions();
        for (int start = 0; start < n; start += 64)
        {
            int count = Math.Min(64, n - start);
            var batch = new float[count * len];
            Array.Copy(data, (long)start * len, batch, 0, (long)count * len);
            using var value = OrtValue.CreateTensorValueFromMemory(batch, [count, .. sample]);
            using var results = session.Run(runOptions, [input], [value], [output]);
            var logits = results[0].GetTensorDataAsSpan<float>();
            int classes = logits.Length / count;
            for (int i = 0; i < count; i++)
            {
                var row = logits.Slice(i * classes, classes);
                int best = 0;
                for (int c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
                preds[start + i] = best;
            }
        }
        return preds;
    }

    /// <summary>Batch-1 latencies (ms) of <paramref name="runs"/> back-to-back runs after 20 warm-up runs.</summary>
    public static double[] Batch1Times(InferenceSession session, float[] data, long[] sample, int runs)
    {
        string input = session.InputMetadata.Keys.First(), output = session.OutputMetadata.Keys.First();
        int len = (int)sample.Aggregate(1L, (a, b) => a * b);
        var x = data.AsSpan(0, len).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(x, [1, .. sample]);
        using var runOptions = new RunOptions();
        var times = new double[runs];
        for (int i = -WarmUp; i < runs; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using var r = session.Run(runOptions, [input], [value], [output]);
            if (i >= 0) times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        return times;
    }

    /// <summary>Images per second of each of <paramref name="runs"/> batch-64 runs after one warm-up run.</summary>
    public static double[] Batch64Rates(InferenceSession session, float[] data, long[] sample, int runs)
    {
        string input = session.InputMetadata.Keys.First(), output = session.OutputMetadata.Keys.First();
        int len = (int)sample.Aggregate(1L, (a, b) => a * b);
        var x = data.AsSpan(0, 64 * len).ToArray();
        using var value = OrtValue.CreateTensorValueFromMemory(x, [64, .. sample]);
        using var runOptions = new RunOptions();
        var rates = new double[runs];
        for (int i = -1; i < runs; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            using var r = session.Run(runOptions, [input], [value], [output]);
            if (i >= 0) rates[i] = 64.0 / Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }
        return rates;
    }
}
