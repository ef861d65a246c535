using Edge.Core;
using Edge.Core.Imaging;
using SkiaSharp;
using Xunit;

namespace Edge.Core.Tests.Imaging;

public class ImageDecoderTests
{
    /// <summary>A 3x2 RGB image with distinct pixels, encoded by SkiaSharp.</summary>
    internal static byte[] Encode(SKEncodedImageFormat format, int quality = 100, int width = 3, int height = 2)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(40 * x + 10), (byte)(100 * y + 20), (byte)(30 * x + 50 * y), 255));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Webp)]
    public void LosslessFormatsRoundTripInRgbOrder(SKEncodedImageFormat format)
    {
        var img = ImageDecoder.Decode(Encode(format));
        Assert.Equal((2, 3, 3), (img.Height, img.Width, img.Channels));
        Assert.Equal(new byte[] { 90, 20, 60 }, new[] { img[0, 2, 0], img[0, 2, 1], img[0, 2, 2] });
        Assert.Equal(new byte[] { 10, 120, 50 }, new[] { img[1, 0, 0], img[1, 0, 1], img[1, 0, 2] });
    }

    [Fact]
    public void GrayFilesDecodeToOneChannelAndColourFilesToThree()
    {
        var info = new SKImageInfo(4, 2, SKColorType.Gray8, SKAlphaType.Opaque);
        using var bitmap = new SKBitmap(info);
        for (int y = 0; y < 2; y++)
            for (int x = 0; x < 4; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(60 * x + y), (byte)(60 * x + y), (byte)(60 * x + y)));
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        var gray = ImageDecoder.Decode(png.ToArray());
        Assert.Equal((2, 4, 1), (gray.Height, gray.Width, gray.Channels));
        Assert.Equal(181, gray[1, 3, 0]);
        Assert.Equal(3, ImageDecoder.Decode(Encode(SKEncodedImageFormat.Png)).Channels);
    }

    [Fact]
    public void JpegDecodes()
    {
        var img = ImageDecoder.Decode(Encode(SKEncodedImageFormat.Jpeg, 95, 16, 16));
        Assert.Equal((16, 16), (img.Height, img.Width));
    }

    [Fact]
    public void TruncatedJpegIsRejected()
    {
        byte[] jpeg = Encode(SKEncodedImageFormat.Jpeg, 95, 64, 64);
        var e = Assert.Throws<EdgeException>(() => ImageDecoder.Decode(jpeg.AsSpan(0, jpeg.Length / 2), "upload.jpg"));
        Assert.Contains("upload.jpg", e.Message);
    }

    [Theory]
    [InlineData(new byte[0], "empty")]
    [InlineData(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, "not a decodable image")]
    public void NonImagesAreRejected(byte[] bytes, string expected)
    {
        var e = Assert.Throws<EdgeException>(() => ImageDecoder.Decode(bytes));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData(6, 3, 2)]  // rotate 90° clockwise to display: 3 wide x 2 high stored → 2 wide x 3 high shown
    [InlineData(3, 2, 3)]  // rotate 180°
    [InlineData(2, 2, 3)]  // mirror
    public void ExifOrientationIsApplied(int orientation, int expectedHeight, int expectedWidth)
    {
        byte[] jpeg = WithExifOrientation(Encode(SKEncodedImageFormat.Jpeg, 100, 3, 2), orientation);
        var plain = ImageDecoder.Decode(Encode(SKEncodedImageFormat.Jpeg, 100, 3, 2));
        var img = ImageDecoder.Decode(jpeg);
        Assert.Equal((expectedHeight, expectedWidth), (img.Height, img.Width));
        // The stored top-left pixel ends up where the orientation says.
        var (y, x) = orientation switch { 6 => (0, 1), 3 => (1, 2), _ => (0, 2) };
        Assert.Equal(plain[0, 0, 0], img[y, x, 0]);
    }

    /// <summary>Inserts an APP1 Exif segment with one Orientation tag right after the JPEG's SOI marker.</summary>
    internal static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD at offset 8
            0, 1,                                     // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, // Orientation, SHORT, count 1, value
            0, 0, 0, 0,                               // no next IFD
        ];
        byte[] exifHeader = [(byte)'E', (byte)'x', (byte)'i', (byte)'f', 0, 0];
        int length = 2 + exifHeader.Length + tiff.Length;
        var result = new List<byte> { 0xFF, 0xD8, 0xFF, 0xE1, (byte)(length >> 8), (byte)length };
        result.AddRange(exifHeader);
        result.AddRange(tiff);
        result.AddRange(jpeg.Skip(2));
        return result.ToArray();
    }
}
