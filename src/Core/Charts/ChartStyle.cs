using Edge.Core.IO;
using ScottPlot;

namespace Edge.Core.Charts;

/// <summary>
/// What every Edge figure (the gate's report, a distill run's curves, the loss comparison) shares: a registered
/// font, so titles, axis labels and tick labels render at all, one palette, and an atomic PNG write.
/// </summary>
public static class ChartStyle
{
    public static readonly IPalette Palette = new ScottPlot.Palettes.Category10();
    private static readonly Lazy<string?> FontName = new(RegisterFont);

    /// <summary>A plot whose text uses the registered font (ScottPlot draws no text at all without one here).</summary>
    public static Plot NewPlot()
    {
        var plot = new Plot();
        if (FontName.Value is { } name) plot.Font.Set(name);
        return plot;
    }

    /// <summary>Writes the plot as a PNG under a temporary name and renames it, so a reader never sees half a file.</summary>
    public static void SavePng(Plot plot, string path, int width, int height) =>
        AtomicFile.WriteAllBytes(path, plot.GetImageBytes(width, height, ImageFormat.Png));

    /// <summary>
    /// SkiaSharp's dependency-free native build has no fontconfig, so family names do not resolve and text would not
    /// render: register a sans-serif TrueType file from the system's font folders by path (DejaVu Sans when present).
    /// </summary>
    private static string? RegisterFont()
    {
        string[] roots = ["/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "/System/Library/Fonts", @"C:\Windows\Fonts"];
        string[] preferred = ["DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf", "NotoSans-Regular.ttf"];
        var files = roots.Where(Directory.Exists)
            .SelectMany(r => Directory.EnumerateFiles(r, "*.ttf", SearchOption.AllDirectories)).ToArray();
        string? file = preferred.Select(p => files.FirstOrDefault(f => Path.GetFileName(f) == p)).FirstOrDefault(f => f is not null)
                       ?? files.FirstOrDefault(f => Path.GetFileName(f).Contains("Sans", StringComparison.OrdinalIgnoreCase));
        if (file is null) return null;
        const string name = "Edge Report Sans";
        Fonts.AddFontFile(name, file);
        return name;
    }
}
