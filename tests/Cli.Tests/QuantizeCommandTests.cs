using Edge.Core.Manifest;
using Edge.Testing;
using Xunit;

namespace Edge.Cli.Tests;

/// <summary><c>edge quantize</c> on a small package and an image folder unlike it (RGB images, classes in another order).</summary>
public class QuantizeCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void The_guarantee_is_measured_and_recorded_and_class_order_comes_from_the_labels()
    {
        using var dir = new TempDir();
        var source = DarkBrightFixture.Package(dir.Path);
        string data = DarkBrightFixture.ImageFolder(dir.Path);
        // The overrides make the outcome independent of this machine's timing (a tiny model may well be slower in int8).
        var r = Run("quantize", "--model", Path.GetDirectoryName(source.ManifestPath)!, "--out", dir.File("int8"), "--data", data,
            "--calibration-samples", "16", "--holdout-samples", "60", "--batch-sizes", "1,8", "--allow-slower", "--allow-accuracy-drop");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("guarantee: top-1 100.00% vs fp32 100.00%", r.Out);
        Assert.Contains("batch 8", r.Out);
        var check = ModelPackage.Load(dir.File("int8")).Manifest.Quantization!.Check!;
        Assert.Equal([1, 8], check.BatchSizes);
        Assert.Equal(1.0, check.Fp32Top1);
    }

    [Theory]
    [InlineData("1,x")]
    [InlineData("0,64")]
    [InlineData(",")]
    public void Bad_batch_sizes_are_named_and_nothing_is_written(string sizes)
    {
        using var dir = new TempDir();
        var r = Run("quantize", "--model", TestPaths.Teacher, "--out", dir.File("int8"), "--batch-sizes", sizes);
        Assert.Equal(2, r.Code);
        Assert.StartsWith("error: ", r.Err);
        Assert.Contains("--batch-sizes", r.Err);
        Assert.False(Directory.Exists(dir.File("int8")));
    }

    [Fact]
    public void A_labels_list_that_misses_a_model_class_is_named()
    {
        using var dir = new TempDir();
        var source = DarkBrightFixture.Package(dir.Path);
        string data = DarkBrightFixture.ImageFolder(dir.Path);
        var r = Run("quantize", "--model", source.ManifestPath, "--out", dir.File("int8"), "--data", data, "--labels", "light,dark", "--calibration-samples", "8");
        Assert.Equal(2, r.Code);
        Assert.Contains("bright", r.Err);
        Assert.False(Directory.Exists(dir.File("int8")));
    }
}
