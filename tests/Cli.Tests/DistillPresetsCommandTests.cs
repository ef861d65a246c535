using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace Edge.Cli.Tests;

/// <summary>`edge distill presets` prints every preset's family and built parameter count and, for TinyViT 5M/11M/21M,
/// EfficientNet-B0 and MobileNetV3-Large/-Small, the paper's.</summary>
public class DistillPresetsCommandTests
{
    [Fact]
    public void PrintsEveryPresetAndThePaperPresetsAreWithinTwoPercent()
    {
        var output = new StringWriter();
        Assert.Equal(0, Program.Run(["distill", "presets"], output, new StringWriter()));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        foreach (var name in Edge.Distill.Models.StudentRegistry.Names)
            Assert.Contains(lines, l => l.StartsWith(name + " ", StringComparison.Ordinal) && l.Contains($" {Edge.Distill.Models.StudentRegistry.FamilyOf(name).Name} "));
        foreach (var name in new[] { "tinyvit-5m", "tinyvit-11m", "tinyvit-21m", "efficientnet-b0", "mobilenetv3-large", "mobilenetv3-small" })
        {
            var line = lines.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal));
            var diff = Regex.Match(line, @"([+-]\d+\.\d+)%");
            Assert.True(diff.Success, $"no difference column in: {line}");
            Assert.InRange(double.Parse(diff.Groups[1].Value, CultureInfo.InvariantCulture), -2.0, 2.0);
        }
    }
}
