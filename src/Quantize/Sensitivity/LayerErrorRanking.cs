using Edge.Core;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Edge.Quantize.Sensitivity;

/// <summary>How much quantization noise one int8 node adds: the noise-to-signal ratio of its output minus the worst of its inputs'.</summary>
public sealed record LayerError(string Node, string OpType, double OutputNoise, double AddedNoise);

/// <summary>
/// Ranks the quantized nodes of an int8 model by the quantization noise each adds, from one pass of a few samples
/// through both models: every float tensor that has an int8 form is read in both (the int8 one dequantized), and its
/// noise-to-signal ratio Σ(q − f)² / Σf² compared with that of the node's inputs. What the node adds is what keeping it
/// float would take away, so the ranking orders the layer-by-layer accuracy fallback without quantizing and evaluating
/// the model once per layer (NNCF's accuracy control ranks layers the same way).
/// </summary>
public static class LayerErrorRanking
{
    public static IReadOnlyList<LayerError> Rank(string fp32Path, string int8Path, QuantizeOptions options, QuantizeReport report, float[] samples, long[] sampleShape)
    {
        var source = OnnxQuantizer.Rewrite(ModelFile.Load(fp32Path), options).Model;
        var index = new GraphIndex(source.Graph);
        var activations = report.Activations.Where(a => index.Producer(a.FloatName) is not null || source.Graph.Input.Any(i => i.Name == a.FloatName))
            .GroupBy(a => a.FloatName).Select(g => g.First()).ToList();
        if (activations.Count == 0) return [];
        var floats = RunWithOutputs(source, activations.Select(a => a.FloatName).ToArray(), samples, sampleShape, quantized: false);
        var ints = RunWithOutputs(ModelFile.Load(int8Path), activations.Select(a => a.QuantName).ToArray(), samples, sampleShape, quantized: true);
        var noise = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < activations.Count; i++)
        {
            var a = activations[i];
            if (!floats.TryGetValue(a.FloatName, out var f) || !ints.TryGetValue(a.QuantName, out var q) || f.Length != q.Length) continue;
            double err = 0, sig = 0;
            for (int k = 0; k < f.Length; k++)
            {
                double raw = a.Type == QuantType.Int8 && q[k] > 127 ? q[k] - 256 : q[k]; // int8 bytes read back as unsigned
                double real = a.Scale * (raw - a.ZeroPoint);
                err += (real - f[k]) * (real - f[k]);
                sig += (double)f[k] * f[k];
            }
            noise[a.FloatName] = sig == 0 ? (err == 0 ? 0 : 1) : err / sig;
        }
        var ranked = new List<LayerError>();
        foreach (var q in report.Quantized)
        {
            var node = source.Graph.Node.FirstOrDefault(n => n.Name == q.Name);
            if (node is null || q.Kernel.StartsWith("fused", StringComparison.Ordinal) || q.Kernel.StartsWith("removed", StringComparison.Ordinal)) continue;
            // A fused ReLU's output carries the node's int8 form: look one consumer ahead when the node's own output has none.
            string? output = node.Output.FirstOrDefault(noise.ContainsKey)
                ?? node.Output.SelectMany(index.Consumers).Where(c => c.OpType is "Relu" or "Clip").SelectMany(c => c.Output).FirstOrDefault(noise.ContainsKey);
            if (output is null) continue;
            double inputs = node.Input.Where(noise.ContainsKey).Select(i => noise[i]).DefaultIfEmpty(0).Max();
            ranked.Add(new LayerError(q.Name, q.OpType, noise[output], noise[output] - inputs));
        }
        return [.. ranked.OrderByDescending(r => r.AddedNoise)];
    }

    /// <summary>Runs <paramref name="model"/> with <paramref name="names"/> exposed as outputs; values as floats (int8 tensors as their raw bytes).</summary>
    private static Dictionary<string, float[]> RunWithOutputs(ModelProto model, string[] names, float[] samples, long[] sampleShape, bool quantized)
    {
        var probe = model.Clone();
        var existing = new HashSet<string>(probe.Graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        foreach (string n in names) if (existing.Add(n)) probe.Graph.Output.Add(new ValueInfoProto { Name = n });
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC, IntraOpNumThreads = 2, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(probe.ToByteArray(), options);
        string input = ModelInputs.SingleFloatInput(model).Name;
        var present = names.Where(n => session.OutputMetadata.ContainsKey(n)).ToArray();
        long len = sampleShape.Aggregate(1L, (a, b) => a * b);
        if (samples.Length == 0 || samples.Length % len != 0) throw new EdgeException("the layer ranking needs whole input samples");
        using var value = OrtValue.CreateTensorValueFromMemory(samples, [samples.Length / len, .. sampleShape]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [input], [value], present);
        var values = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int i = 0; i < present.Length; i++)
            values[present[i]] = quantized
                ? results[i].GetTensorDataAsSpan<byte>().ToArray().Select(b => (float)b).ToArray()
                : results[i].GetTensorDataAsSpan<float>().ToArray();
        return values;
    }
}
