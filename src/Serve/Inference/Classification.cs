using System.Globalization;
using Edge.Core.Manifest;
using Edge.Serve.Tensors;

namespace Edge.Serve.Inference;

/// <summary>
/// Triton's classification extension: an output asked for with <c>class_count = k</c> comes back as BYTES
/// <c>"score:index:label"</c> (or <c>"score:index"</c> without labels), the k highest per batch element. For an
/// Edge classifier the score is the class probability as its manifest's output kind means it (softmax of logits or
/// log-probabilities, a probability output as is), the same number Classify answers; for a tensor model it is the
/// output value itself, as Triton reports it.
/// </summary>
public static class Classification
{
    public static HostTensor Classify(HostTensor output, int classCount, bool batched, ClassifierInfo? classifier)
    {
        if (output.DataType.IsBytes || output.DataType == TensorDataTypes.Bool)
            throw ServeException.Invalid($"output '{output.Name}' is {output.DataType}; classification needs numeric scores");
        double[] values = TensorValues.ToDoubles(output);
        long rows = batched ? output.Shape[0] : 1;
        int classes = rows == 0 ? 0 : (int)(values.Length / rows);
        int k = Math.Min(classCount, classes);
        var elements = new ReadOnlyMemory<byte>[rows * k];
        var row = new double[classes];
        var floats = new float[classes];
        for (long r = 0; r < rows; r++)
        {
            var scores = values.AsSpan((int)(r * classes), classes);
            if (classifier is not null)
            {
                for (int i = 0; i < classes; i++)
                    floats[i] = (float)scores[i];
                OutputKinds.ToProbabilities(classifier.OutputKind, floats, row);
            }
            else
                scores.CopyTo(row);
            var order = Enumerable.Range(0, classes).OrderByDescending(i => row[i]).ThenBy(i => i).Take(k).ToArray();
            for (int j = 0; j < k; j++)
            {
                int i = order[j];
                string label = classifier is not null && i < classifier.Labels.Count ? ":" + classifier.Labels[i] : "";
                string score = classifier is not null ? ((float)row[i]).ToString("R", CultureInfo.InvariantCulture) : Format(output.DataType, row[i]);
                elements[r * k + j] = System.Text.Encoding.UTF8.GetBytes($"{score}:{i.ToString(CultureInfo.InvariantCulture)}{label}");
            }
        }
        long[] shape = batched ? [rows, k] : [k];
        return HostTensor.Strings(output.Name, shape, elements);
    }

    public static IReadOnlyList<LabelScore> TopK(ReadOnlySpan<float> output, OutputKind kind, IReadOnlyList<string> labels, int k)
    {
        var probs = new double[output.Length];
        OutputKinds.ToProbabilities(kind, output, probs);
        var order = Enumerable.Range(0, probs.Length).OrderByDescending(i => probs[i]).ThenBy(i => i).Take(Math.Min(k, probs.Length));
        return order.Select(i => new LabelScore(i, i < labels.Count ? labels[i] : i.ToString(CultureInfo.InvariantCulture), (float)probs[i])).ToArray();
    }

    private static string Format(TensorDataType type, double v) =>
        type == TensorDataTypes.Fp64 ? v.ToString("R", CultureInfo.InvariantCulture)
        : type == TensorDataTypes.Fp32 || type == TensorDataTypes.Fp16 || type == TensorDataTypes.Bf16 ? ((float)v).ToString("R", CultureInfo.InvariantCulture)
        : v.ToString(CultureInfo.InvariantCulture);
}
