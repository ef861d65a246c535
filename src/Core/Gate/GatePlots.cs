using Edge.Core.Charts;
using ScottPlot;

namespace Edge.Core.Gate;

/// <summary>The report's PNG figures (ScottPlot): confusion matrix, reliability diagram, per-class accuracy.</summary>
public static class GatePlots
{
    private static readonly IPalette Palette = ChartStyle.Palette;

    private static Plot NewPlot() => ChartStyle.NewPlot();

    /// <summary>Row-normalised confusion matrix (true class down, predicted across) with counts in the cells.</summary>
    public static byte[] Confusion(ModelReport model, IReadOnlyList<string> classes)
    {
        var counts = model.Confusion ?? throw new ArgumentException("no confusion matrix on an unlabeled set");
        int k = classes.Count;
        var plot = NewPlot();
        var fraction = new double[k, k];
        for (int r = 0; r < k; r++)
        {
            double total = Math.Max(1, counts[r].Sum());
            for (int c = 0; c < k; c++) fraction[r, c] = counts[r][c] / total;
        }
        var heatmap = plot.Add.Heatmap(fraction);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        plot.Add.ColorBar(heatmap);
        for (int r = 0; r < k; r++)
            for (int c = 0; c < k; c++)
            {
                if (counts[r][c] == 0) continue;
                var text = plot.Add.Text(counts[r][c].ToString(), c, k - 1 - r);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = k > 12 ? 8 : 12;
                text.LabelFontColor = fraction[r, c] > 0.5 ? Colors.Black : Colors.White;
            }
        double[] ticks = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks, classes.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 110; // room for the rotated class names
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks, classes.Reverse().ToArray());
        plot.Title($"Confusion matrix: {model.Name}");
        plot.XLabel("predicted");
        plot.YLabel("true");
        return plot.GetImageBytes(760, 680, ImageFormat.Png);
    }

    /// <summary>Accuracy against mean confidence per confidence bin, every model on one chart, with the diagonal.</summary>
    public static byte[] Reliability(IReadOnlyList<ModelReport> models)
    {
        var plot = NewPlot();
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.Color = Colors.Gray;
        for (int m = 0; m < models.Count; m++)
        {
            var bins = models[m].Reliability.Where(b => b.Count > 0).ToArray();
            var scatter = plot.Add.Scatter(bins.Select(b => b.MeanConfidence).ToArray(), bins.Select(b => b.Accuracy).ToArray());
            scatter.Color = Palette.GetColor(m);
            scatter.LegendText = $"{models[m].Name} (ECE {models[m].Ece:0.00}%)";
            scatter.MarkerSize = 6;
        }
        plot.Axes.SetLimits(0, 1, 0, 1);
        plot.Title("Reliability diagram");
        plot.XLabel("confidence (top-1 softmax)");
        plot.YLabel("accuracy");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot.GetImageBytes(640, 560, ImageFormat.Png);
    }

    /// <summary>Per-class accuracy, one bar group per class, one bar per model.</summary>
    public static byte[] PerClass(IReadOnlyList<ModelReport> models, IReadOnlyList<string> classes)
    {
        var plot = NewPlot();
        int k = classes.Count, n = models.Count;
        double width = 0.8 / n;
        var legend = new List<LegendItem>();
        for (int m = 0; m < n; m++)
        {
            var accuracy = models[m].PerClassAccuracy ?? throw new ArgumentException("no per-class accuracy on an unlabeled set");
            var color = Palette.GetColor(m);
            var bars = Enumerable.Range(0, k).Select(c => new Bar
            {
                Position = c - 0.4 + width * (m + 0.5),
                Value = double.IsNaN(accuracy[c]) ? 0 : accuracy[c],
                Size = width * 0.95,
                FillColor = color,
                LineWidth = 0,
            }).ToArray();
            plot.Add.Bars(bars);
            legend.Add(new LegendItem { LabelText = models[m].Name, FillColor = color });
        }
        double min = models.SelectMany(m => m.PerClassAccuracy!).Where(a => !double.IsNaN(a)).DefaultIfEmpty(0).Min();
        plot.Axes.SetLimits(-0.6, k - 0.4, Math.Max(0, Math.Floor(min / 10) * 10 - 5), 101);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, k).Select(i => (double)i).ToArray(), classes.ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 110; // room for the rotated class names
        plot.Title("Per-class accuracy");
        plot.YLabel("accuracy (%)");
        plot.ShowLegend(legend, Alignment.LowerRight);
        return plot.GetImageBytes(Math.Max(640, 70 * k), 480, ImageFormat.Png);
    }
}
