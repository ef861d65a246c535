using System.Globalization;
using Edge.Core.Charts;
using ScottPlot;

namespace Edge.Distill.Training;

/// <summary>
/// PNG curves of a run, redrawn after each epoch: <c>loss.png</c> (training loss), <c>accuracy.png</c> (test top-1 and
/// top-1 agreement with the teacher) and <c>agreement.png</c> (agreement alone), each with a title, labelled axes,
/// tick labels at whole epochs and the last value written beside its point, in the gate's style.
/// </summary>
public static class TrainingCurves
{
    public const int Width = 720, Height = 440;

    private sealed record Series(string Name, double[] Values, string Format);

    public static void Write(string folder, IReadOnlyList<EpochMetrics> metrics)
    {
        if (metrics.Count == 0) return;
        double[] epochs = [.. metrics.Select(m => (double)m.Epoch)];
        var loss = new Series("training loss", [.. metrics.Select(m => m.TrainLoss)], "0.000");
        var top1 = new Series("test top-1", [.. metrics.Select(m => m.TestTop1 * 100)], "0.00'%'");
        var agreement = new Series("agreement with the teacher", [.. metrics.Select(m => m.TeacherAgreement * 100)], "0.00'%'");
        Save(Path.Combine(folder, "loss.png"), "Training loss per epoch", "loss (weighted objective)", epochs, [loss]);
        Save(Path.Combine(folder, "accuracy.png"), "Test top-1 and agreement with the teacher", "%", epochs, [top1, agreement]);
        Save(Path.Combine(folder, "agreement.png"), "Top-1 agreement with the teacher", "agreement (%)", epochs, [agreement]);
    }

    private static void Save(string path, string title, string yLabel, double[] epochs, IReadOnlyList<Series> series)
    {
        var plot = ChartStyle.NewPlot();
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var line = plot.Add.Scatter(epochs, s.Values);
            line.Color = ChartStyle.Palette.GetColor(i);
            line.LineWidth = 2;
            line.MarkerSize = epochs.Length <= 60 ? 7 : 0;
            if (series.Count > 1) line.LegendText = s.Name;
            var last = plot.Add.Text(s.Values[^1].ToString(s.Format, CultureInfo.InvariantCulture), epochs[^1], s.Values[^1]);
            last.LabelFontColor = line.Color;
            last.LabelFontSize = 12;
            last.LabelAlignment = Alignment.LowerLeft;
            last.OffsetX = 6;
        }
        plot.Axes.Bottom.TickGenerator = EpochTicks(epochs);
        // Room on the right for the last value's label, and a y range that never collapses to a line.
        double max = epochs[^1], min = epochs[0];
        plot.Axes.SetLimitsX(min - 0.3, max + Math.Max(0.6, (max - min) * 0.12));
        var values = series.SelectMany(s => s.Values).Where(double.IsFinite).ToArray();
        double lo = values.Min(), hi = values.Max(), pad = Math.Max((hi - lo) * 0.12, Math.Max(Math.Abs(hi) * 0.01, 1e-3));
        plot.Axes.SetLimitsY(lo - pad, hi + pad);
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        if (series.Count > 1) plot.ShowLegend(Alignment.LowerRight);
        else plot.HideLegend();
        ChartStyle.SavePng(plot, path, Width, Height);
    }

    /// <summary>Ticks at whole epochs (every k-th when there are many), never at 1.5.</summary>
    private static ScottPlot.TickGenerators.NumericManual EpochTicks(double[] epochs)
    {
        int first = (int)epochs[0], last = (int)epochs[^1];
        int step = Math.Max(1, (int)Math.Ceiling((last - first + 1) / 12.0));
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int e = first; e <= last; e += step) ticks.AddMajor(e, e.ToString(CultureInfo.InvariantCulture));
        return ticks;
    }
}
