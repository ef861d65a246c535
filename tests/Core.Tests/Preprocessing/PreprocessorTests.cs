using Edge.Core;
using Edge.Core.Imaging;
using Edge.Core.Preprocessing;
using Xunit;

namespace Edge.Core.Tests.Preprocessing;

public class PreprocessorTests
{
    private static RawImage Ramp(int h, int w, int channels = 1)
    {
        var px = new byte[h * w * channels];
        for (int i = 0; i < px.Length; i++) px[i] = (byte)((i * 37 + 11) % 256);
        return new RawImage(px, h, w, channels);
    }

    /// <summary>An independent, double-precision statement of PyTorch's bilinear (align_corners=False).</summary>
    private static double Reference(RawImage img, int c, int y, int x, int outH, int outW, double mean, double std)
    {
        static (int, int, double) Src(int d, int inSize, int outSize)
        {
            double s = Math.Max(0, (d + 0.5) * inSize / outSize - 0.5);
            int a = Math.Min((int)Math.Floor(s), inSize - 1);
            int b = Math.Min(a + 1, inSize - 1);
            return (a, b, s - a);
        }
        var (y0, y1, ly) = Src(y, img.Height, outH);
        var (x0, x1, lx) = Src(x, img.Width, outW);
        double P(int yy, int xx) => img[yy, xx, c] / 255.0;
        double v = (1 - ly) * ((1 - lx) * P(y0, x0) + lx * P(y0, x1)) + ly * ((1 - lx) * P(y1, x0) + lx * P(y1, x1));
        return (v - mean) / std;
    }

    [Theory]
    [InlineData(28, 28, 32, 32)]
    [InlineData(40, 30, 32, 32)]
    [InlineData(7, 9, 16, 12)]
    public void BilinearMatchesPyTorchDefinition(int inH, int inW, int outH, int outW)
    {
        var spec = PreprocessSpec.FashionMnist32 with { Height = outH, Width = outW };
        var img = Ramp(inH, inW);
        float[] t = new Preprocessor(spec).Run(img);
        for (int y = 0; y < outH; y++)
            for (int x = 0; x < outW; x++)
                Assert.Equal(Reference(img, 0, y, x, outH, outW, 0.2860, 0.3530), t[y * outW + x], 2e-6);
    }

    [Fact]
    public void SameSizeIsJustNormalisation()
    {
        var spec = new PreprocessSpec { Channels = 3, Height = 5, Width = 4, Mean = [0.1f, 0.2f, 0.3f], Std = [0.5f, 0.25f, 2f] };
        var img = Ramp(5, 4, 3);
        float[] t = new Preprocessor(spec).Run(img);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 20; i++)
                Assert.Equal((img.Pixels[i * 3 + c] / 255f - spec.Mean[c]) / spec.Std[c], t[c * 20 + i], 5);
    }

    [Fact]
    public void CentreCropKeepsTheMiddle()
    {
        // A 4x4 image cropped to half keeps its central 2x2; resizing 2x2 to 2x2 copies it.
        var img = Ramp(4, 4);
        var spec = new PreprocessSpec { Height = 2, Width = 2, CropFraction = 0.5f, Mean = [0f], Std = [1f] };
        float[] t = new Preprocessor(spec).Run(img);
        Assert.Equal(img[1, 1, 0] / 255f, t[0]);
        Assert.Equal(img[1, 2, 0] / 255f, t[1]);
        Assert.Equal(img[2, 1, 0] / 255f, t[2]);
        Assert.Equal(img[2, 2, 0] / 255f, t[3]);
    }

    [Fact]
    public void ResultDoesNotDependOnThreadsOrRepetition()
    {
        var pre = new Preprocessor(PreprocessSpec.FashionMnist32);
        var img = Ramp(28, 28);
        float[] first = pre.Run(img);
        var results = new float[8][];
        Parallel.For(0, 8, i => results[i] = pre.Run(img));
        foreach (var r in results)
            Assert.Equal(first, r);
    }

    [Fact]
    public void RgbImageForAGrayModelIsBt601Luma()
    {
        var img = Ramp(6, 5, 3);
        var spec = new PreprocessSpec { Height = 6, Width = 5, Mean = [0.5f], Std = [0.25f] };
        float[] t = new Preprocessor(spec).Run(img);
        for (int i = 0; i < 30; i++)
        {
            double luma = (0.299 * img.Pixels[3 * i] + 0.587 * img.Pixels[3 * i + 1] + 0.114 * img.Pixels[3 * i + 2]) / 255.0;
            Assert.Equal((luma - 0.5) / 0.25, t[i], 5);
        }
    }

    [Fact]
    public void GrayImageForAnRgbModelIsReplicatedWithEachChannelsNormalisation()
    {
        var img = Ramp(4, 4);
        var spec = new PreprocessSpec { Channels = 3, Height = 4, Width = 4, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] };
        float[] t = new Preprocessor(spec).Run(img);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 16; i++)
                Assert.Equal((img.Pixels[i] / 255.0 - spec.Mean[c]) / spec.Std[c], t[c * 16 + i], 5);
    }

    [Fact]
    public void GrayToRgbModelGetsTheSameLumaInAllThreeChannels()
    {
        var img = Ramp(3, 3, 3);
        var spec = new PreprocessSpec { Channels = 3, Color = ColorMode.Gray, Height = 3, Width = 3, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] };
        float[] t = new Preprocessor(spec).Run(img);
        for (int i = 0; i < 9; i++)
        {
            double luma = (0.299 * img.Pixels[3 * i] + 0.587 * img.Pixels[3 * i + 1] + 0.114 * img.Pixels[3 * i + 2]) / 255.0;
            for (int c = 0; c < 3; c++) Assert.Equal(luma, t[c * 9 + i], 6);
        }
    }

    [Fact]
    public void GrayStoredAsRgbGivesExactlyTheGrayTensor()
    {
        var gray = Ramp(28, 28);
        var rgb = new RawImage([.. gray.Pixels.SelectMany(p => new[] { p, p, p })], 28, 28, 3);
        var pre = new Preprocessor(PreprocessSpec.FashionMnist32);
        Assert.Equal(pre.Run(gray), pre.Run(rgb));
    }

    [Fact]
    public void RgbColourWithOneChannelIsRejectedNamingTheField()
    {
        var e = Assert.Throws<EdgeException>(() => new Preprocessor(new PreprocessSpec { Channels = 1, Color = ColorMode.Rgb }));
        Assert.Contains("preprocess.color", e.Message);
    }

    [Theory]
    [InlineData(2, 32, 32, 1f)]
    [InlineData(1, 0, 32, 1f)]
    [InlineData(1, 32, 32, 0f)]
    public void InvalidSpecsAreRejected(int channels, int height, int width, float crop)
    {
        var spec = new PreprocessSpec { Channels = channels, Height = height, Width = width, CropFraction = crop };
        Assert.Throws<EdgeException>(() => new Preprocessor(spec));
    }

    [Fact]
    public void MeanStdLengthMustMatchChannels()
    {
        var spec = new PreprocessSpec { Channels = 3, Mean = [0.5f], Std = [0.5f] };
        var e = Assert.Throws<EdgeException>(spec.Validate);
        Assert.Contains("3 value", e.Message);
    }
}
