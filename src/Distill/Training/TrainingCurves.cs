using Edge.Core.IO;

namespace Edge.Distill.Training;

/// <summary>PNG curves of a run (loss, test top-1, agreement with the teacher), redrawn after each epoch.</summary>
public static class TrainingCurves
{
    public static void Write(string folder, IReadOnlyList<EpochMetrics> metrics)
    {
        if (metrics.Count == 0) return;
        double[] epochs = [.. metrics.Select(m => (double)m.Epoch)];
        Plot(Path.Combine(folder, "loss.png"), "Training loss", "loss", epochs, [.. metrics.Select(m => m.TrainLoss)]);
        Plot(Path.Combine(folder, "accuracy.png"), "Test top-1", "top-1 (%)", epochs, [.. metrics.Select(m => m.TestTop1 * 100)]);
        Plot(Path.Combine(folder, "agreement.png"), "Top-1 agreement with the teacher", "agreement (%)", epochs, [.. metrics.Select(m => m.TeacherAgreement * 100)]);
    }

    private static void Plot(string path, string title, string yLabel, double[] xs, double[] ys)
    {
        var plot = new ScottPlot.Plot();
        plot.Add.Scatter(xs, ys);
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        string temp = AtomicFile.TempPathFor(path);
        try
        {
            plot.SavePng(temp, 640, 400);
            AtomicFile.Commit(temp, path);
        }
        finally
        {
            AtomicFile.TryDelete(temp);
        }
    }
}
