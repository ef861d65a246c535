using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Manifest;
using Edge.Core.Progress;
using Edge.Quantize.Guarantee;
using Edge.Quantize.Packaging;
using Edge.Onnx;
using Xunit;
using static Edge.Quantize.Tests.QuantizeTestKit;

namespace Edge.Quantize.Tests;

/// <summary>
/// Package in, package out, on a dataset unlike the model: RGB PNG images in an image folder whose class folders sort
/// in the opposite order to the model's labels, for a gray model. Calibration and the held-out check must convert the
/// images with the model's own preprocessing and match classes by label.
/// </summary>
public sealed class PackageQuantizerTests : IDisposable
{
    private readonly string _dir = QuantizeTestKit.TempDir();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ModelPackage DarkBrightPackage() => DarkBrightFixture.Package(_dir);

    private string RgbImageFolder() => DarkBrightFixture.ImageFolder(_dir);

    private static QuantizePackageOptions Options(string outDir, string data, bool allowSlower = true) => new()
    {
        OutputDir = outDir,
        Data = data,
        CalibrationSamples = 16,
        HoldoutSamples = 60,
        Guarantee = new GuaranteeOptions { Rounds = 1, AllowSlower = allowSlower },
    };

    [Fact]
    public void Gray_model_on_rgb_images_calibrates_and_is_scored_through_its_labels()
    {
        var source = DarkBrightPackage();
        string data = RgbImageFolder();
        using var probe = new SpeedAndFusionTests.FakeProbe([]);
        var result = PackageQuantizer.Run(source, Options(Path.Combine(_dir, "int8"), data), IProgressHost.None, probe);

        // By index order, "bright" (dataset class 0) would be scored against output 0, "dark": 0% instead of 100%.
        Assert.NotNull(result.Check);
        Assert.Equal(1.0, result.Check!.Fp32Top1);
        Assert.Equal(1.0, result.Check.Int8Top1);
        Assert.Equal(60, result.Check.Samples);
        var info = result.Package.Manifest.Quantization!;
        Assert.Equal(16, info.CalibrationSamples);
        Assert.NotNull(info.Check);
        Assert.Equal([1, 64], info.Check!.BatchSizes);
        Assert.Equal("int8", result.Package.Manifest.Precision);
        Assert.Contains(OpCounts(result.Package.ModelPath).Keys, k => k == "QLinearConv");
    }

    [Fact]
    public void A_package_slower_than_fp32_is_refused_and_nothing_is_written()
    {
        var source = DarkBrightPackage();
        string data = RgbImageFolder();
        // The fake timer makes every int8 node cost 3 against float's 1: int8 is slower at both batch sizes.
        var convName = ModelFile.Load(source.ModelPath).Graph.Node.First(n => n.OpType == "Conv").Name;
        using var probe = new SpeedAndFusionTests.FakeProbe(new() { [convName] = 3 });
        string outDir = Path.Combine(_dir, "slow");
        var e = Assert.Throws<CheckFailedException>(() => PackageQuantizer.Run(source, Options(outDir, data, allowSlower: false), IProgressHost.None, probe));
        Assert.Contains("slower than fp32 at batch 1, 64", e.Message);
        Assert.Contains("--allow-slower", e.Message);
        Assert.False(Directory.Exists(outDir));

        var written = PackageQuantizer.Run(source, Options(outDir, data, allowSlower: true), IProgressHost.None, probe);
        Assert.Contains("WARNING: SLOWER than fp32", written.Summary);
        Assert.False(written.Package.Manifest.Quantization!.Check!.Passed);
        Assert.Contains("--allow-slower", written.Package.Manifest.Quantization.Check.Override);
    }

    [Fact]
    public void A_dataset_missing_one_of_the_models_labels_is_named()
    {
        var source = DarkBrightPackage();
        string data = RgbImageFolder();
        Directory.Move(Path.Combine(data, "bright"), Path.Combine(data, "light"));
        using var probe = new SpeedAndFusionTests.FakeProbe([]);
        var e = Assert.Throws<EdgeException>(() => PackageQuantizer.Run(source, Options(Path.Combine(_dir, "x"), data), IProgressHost.None, probe));
        Assert.Contains("bright", e.Message);
        Assert.Contains("light", e.Message);
        Assert.False(Directory.Exists(Path.Combine(_dir, "x")));
    }
}
