using Edge.Core;
using Edge.Core.Metrics;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Export.Onnx;

/// <summary>
/// Runs the TorchSharp model (eval, no grad) and the exported ONNX file (ONNX Runtime, default CPU
/// optimizations, i.e. as it will be served) on the same batch and compares logits.
/// </summary>
public static class ParityCheck
{
    /// <param name="inputs">batch * prod(shape) floats, row-major [batch, ...shape], already preprocessed.</param>
    /// <param name="shape">Per-sample shape, e.g. [1, 32, 32].</param>
    public static ParityResult Run(nn.Module<Tensor, Tensor> model, string onnxPath, float[] inputs, int batch, int[] shape)
    {
        if (!File.Exists(onnxPath)) throw new EdgeException($"ONNX model '{onnxPath}' does not exist.");
        using var session = new InferenceSession(onnxPath);
        return Run(model, session, inputs, batch, shape);
    }

    /// <summary>Same, on an open session: checking many batches should not reload the model for each.</summary>
    public static ParityResult Run(nn.Module<Tensor, Tensor> model, InferenceSession session, float[] inputs, int batch, int[] shape)
    {
        long per = shape.Aggregate(1L, (a, b) => a * b);
        if (inputs.LongLength != batch * per)
            throw new EdgeException($"Parity inputs hold {inputs.Length} floats, expected {batch} x [{string.Join(",", shape)}] = {batch * per}.");
        long[] fullShape = [batch, .. shape.Select(s => (long)s)];

        float[] expected;
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            expected = model.call(tensor(inputs, fullShape)).contiguous().data<float>().ToArray();
        }
        finally
        {
            model.train(wasTraining);
        }

        float[] actual = RunOnnx(session, inputs, fullShape);
        if (actual.Length != expected.Length)
            throw new EdgeException($"ONNX output has {actual.Length} values, TorchSharp {expected.Length}.");
        return Compare(expected, actual, batch);
    }

    /// <summary>Parity on <paramref name="batch"/> standard-normal samples (seeded), for when no data is at hand.</summary>
    public static ParityResult RunRandom(nn.Module<Tensor, Tensor> model, string onnxPath, int batch, int[] shape, int seed = 0)
    {
        var rng = new Random(seed);
        var inputs = new float[batch * shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < inputs.Length; i++)
            inputs[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return Run(model, onnxPath, inputs, batch, shape);
    }

    public static float[] RunOnnx(string onnxPath, float[] inputs, long[] shape)
    {
        using var session = new InferenceSession(onnxPath);
        return RunOnnx(session, inputs, shape);
    }

    public static float[] RunOnnx(InferenceSession session, float[] inputs, long[] shape)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(inputs, shape);
        using var runOptions = new RunOptions();
        string inputName = session.InputNames[0];
        using var outputs = session.Run(runOptions, [inputName], [input], session.OutputNames);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public static ParityResult Compare(float[] expected, float[] actual, int batch)
    {
        int classes = expected.Length / batch;
        double max = 0, sum = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)expected[i] - actual[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;
            max = Math.Max(max, d);
            sum += d;
        }
        int agree = 0;
        for (int b = 0; b < batch; b++)
            if (Predictions.ArgMax(expected.AsSpan(b * classes, classes)) == Predictions.ArgMax(actual.AsSpan(b * classes, classes))) agree++;
        return new ParityResult(batch, max, sum / expected.Length, (double)agree / batch);
    }

}
