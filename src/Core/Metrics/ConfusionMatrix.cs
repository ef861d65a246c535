namespace Edge.Core.Metrics;

/// <summary>Counts[true, predicted] over an evaluation set, with per-class accuracy (recall).</summary>
public sealed class ConfusionMatrix
{
    public ConfusionMatrix(IReadOnlyList<int> truth, IReadOnlyList<int> predicted, int classes)
    {
        if (truth.Count != predicted.Count) throw new ArgumentException("one prediction per label");
        Classes = classes;
        Counts = new int[classes][];
        for (int c = 0; c < classes; c++) Counts[c] = new int[classes];
        for (int i = 0; i < truth.Count; i++) Counts[truth[i]][predicted[i]]++;
    }

    public int Classes { get; }

    /// <summary>Row = true class, column = predicted class.</summary>
    public int[][] Counts { get; }

    /// <summary>Fraction of each true class predicted correctly; NaN for a class with no samples.</summary>
    public double[] PerClassAccuracy()
    {
        var result = new double[Classes];
        for (int c = 0; c < Classes; c++)
        {
            long total = Counts[c].Sum();
            result[c] = total == 0 ? double.NaN : (double)Counts[c][c] / total;
        }
        return result;
    }

    public int Support(int trueClass) => Counts[trueClass].Sum();
}
