namespace Edge.Core.Metrics;

/// <summary>
/// One model's answers on an evaluation set: logits [Count, Classes] in the evaluation set's class order, with
/// the per-sample facts every metric is built from (top-1 class, its softmax confidence, the rank of a label).
/// </summary>
public sealed class Predictions
{
    public Predictions(float[] logits, int count, int classes)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes));
        if (logits.Length < count * classes)
            throw new ArgumentException($"logits hold {logits.Length} values, {count} x {classes} needed");
        Logits = logits;
        Count = count;
        Classes = classes;
        Top1 = new int[count];
        Confidence = new double[count];
        var probs = new double[classes];
        for (int i = 0; i < count; i++)
        {
            var row = Row(i);
            int arg = ArgMax(row);
            Top1[i] = arg;
            Softmax.Probabilities(row, probs);
            Confidence[i] = probs[arg];
        }
    }

    public float[] Logits { get; }
    public int Count { get; }
    public int Classes { get; }
    /// <summary>Arg-max class of each sample (ties: the lowest index).</summary>
    public int[] Top1 { get; }
    /// <summary>Softmax probability of the top-1 class.</summary>
    public double[] Confidence { get; }

    public ReadOnlySpan<float> Row(int i) => Logits.AsSpan(i * Classes, Classes);

    /// <summary>Index of the largest value (ties: the lowest index) — the one arg-max every stage uses.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best])
                best = i;
        return best;
    }

    /// <summary>1 where the label is among the <paramref name="k"/> highest logits (ties broken towards lower indices).</summary>
    public byte[] TopKCorrect(IReadOnlyList<int> labels, int k)
    {
        CheckCount(labels.Count);
        var result = new byte[Count];
        for (int i = 0; i < Count; i++)
        {
            var row = Row(i);
            int label = labels[i];
            float v = row[label];
            int above = 0;
            for (int c = 0; c < Classes; c++)
                if (row[c] > v || (row[c] == v && c < label)) above++;
            result[i] = above < k ? (byte)1 : (byte)0;
        }
        return result;
    }

    /// <summary>1 where the top-1 class equals <paramref name="reference"/> (labels, or another model's top-1).</summary>
    public byte[] Matches(IReadOnlyList<int> reference)
    {
        CheckCount(reference.Count);
        var result = new byte[Count];
        for (int i = 0; i < Count; i++) result[i] = Top1[i] == reference[i] ? (byte)1 : (byte)0;
        return result;
    }

    private void CheckCount(int n)
    {
        if (n != Count) throw new ArgumentException($"{n} references for {Count} predictions");
    }
}
