using System.Globalization;
using System.Text.Json;
using Edge.Core;
using Edge.Core.Charts;
using Edge.Core.IO;
using ScottPlot;

namespace Edge.Distill.Training;

/// <summary>One objective of a loss comparison: its test top-1 and teacher agreement per seed (fractions).</summary>
public sealed record LossComparisonRow(string Loss, IReadOnlyList<int> Seeds, IReadOnlyList<double> TestTop1, IReadOnlyList<double> Agreement)
{
    public static (double Mean, double Min, double Max) Summary(IReadOnlyList<double> values) =>
        values.Count == 0 ? (double.NaN, double.NaN, double.NaN) : (values.Average(), values.Min(), values.Max());
}

/// <summary>A loss comparison at one fixed budget (what <c>bench/LossTable</c> writes as <c>losses.json</c>).</summary>
public sealed record LossComparison(string Title, string Budget, IReadOnlyList<LossComparisonRow> Rows)
{
    public static LossComparison Read(string path)
    {
        if (!File.Exists(path)) throw new EdgeException($"{path}: no loss comparison there; bench/LossTable writes one (losses.json)");
        try
        {
            var table = JsonSerializer.Deserialize<LossComparison>(File.ReadAllText(path), JsonFiles.Options)
                        ?? throw new EdgeException($"{path} is empty");
            foreach (var r in table.Rows)
                if (r.TestTop1.Count != r.Seeds.Count || r.Agreement.Count != r.Seeds.Count)
                    throw new EdgeException($"{path}: row '{r.Loss}' has {r.Seeds.Count} seeds but {r.TestTop1.Count} top-1 and {r.Agreement.Count} agreement values");
            return table;
        }
        catch (JsonException e)
        {
            throw new EdgeException($"{path} is not a loss comparison ({e.Message}); regenerate it with bench/LossTable");
        }
    }

    public void Write(string path) => JsonFiles.Write(path, this);
}

/// <summary>
/// The loss table as a grouped bar chart (<c>losses.png</c>): per objective, test top-1 and agreement with the teacher,
/// each bar the mean over seeds with a whisker from the lowest to the highest seed and the mean written on top.
/// The value axis is zoomed to the bars' range (said in its label), since the differences are tenths of a point.
/// </summary>
public static class LossComparisonChart
{
    public static void Write(string path, LossComparison table)
    {
        if (table.Rows.Count == 0) throw new EdgeException("the loss comparison has no rows to draw");
        var plot = ChartStyle.NewPlot();
        string[] measures = ["test top-1", "agreement with the teacher"];
        Func<LossComparisonRow, IReadOnlyList<double>>[] pick = [r => r.TestTop1, r => r.Agreement];
        double width = 0.8 / measures.Length, lo = double.MaxValue, hi = double.MinValue;
        var legend = new List<LegendItem>();
        for (int m = 0; m < measures.Length; m++)
        {
            var color = ChartStyle.Palette.GetColor(m);
            for (int r = 0; r < table.Rows.Count; r++)
            {
                var (mean, min, max) = LossComparisonRow.Summary(pick[m](table.Rows[r]));
                if (double.IsNaN(mean)) continue;
                mean *= 100; min *= 100; max *= 100;
                double x = r - 0.4 + width * (m + 0.5);
                plot.Add.Bar(new Bar { Position = x, Value = mean, Size = width * 0.9, FillColor = color, LineWidth = 0 });
                if (max > min)
                {
                    var whisker = plot.Add.Line(x, min, x, max);
                    whisker.Color = Colors.Black;
                    whisker.LineWidth = 1.5f;
                }
                var label = plot.Add.Text(mean.ToString("0.00", CultureInfo.InvariantCulture), x, max);
                label.LabelAlignment = Alignment.LowerCenter;
                label.LabelFontSize = 11;
                lo = Math.Min(lo, min);
                hi = Math.Max(hi, max);
            }
            legend.Add(new LegendItem { LabelText = measures[m], FillColor = color });
        }
        double pad = Math.Max(0.5, (hi - lo) * 0.25);
        plot.Axes.SetLimits(-0.6, table.Rows.Count - 0.4, Math.Max(0, lo - pad), Math.Min(100.5, hi + pad * 1.5));
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (int r = 0; r < table.Rows.Count; r++) ticks.AddMajor(r, table.Rows[r].Loss);
        plot.Axes.Bottom.TickGenerator = ticks;
        if (table.Rows.Max(r => r.Loss.Length) > 12)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = 30;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
            plot.Axes.Bottom.MinimumSize = 120;
        }
        int seeds = table.Rows.Max(r => r.Seeds.Count);
        plot.Title($"{table.Title} ({table.Budget}; mean of {seeds} seed{(seeds == 1 ? "" : "s")}, whiskers min–max)");
        plot.XLabel("objective (--loss)");
        plot.YLabel("% (axis zoomed to the bars)");
        plot.ShowLegend(legend, Alignment.UpperRight);
        ChartStyle.SavePng(plot, path, Math.Max(760, 130 * table.Rows.Count), 520);
    }
}
