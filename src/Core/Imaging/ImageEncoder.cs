using SkiaSharp;

namespace Edge.Core.Imaging;

/// <summary>
/// Encodes a <see cref="RawImage"/> as PNG (lossless) or JPEG: how the quickstart and tests send real dataset images to
/// the server, and how an image-folder dataset is written from another dataset. A gray image is written as a gray
/// file, so it decodes back to one channel.
/// </summary>
public static class ImageEncoder
{
    public static byte[] Png(RawImage image) => Encode(image, SKEncodedImageFormat.Png, 100);

    public static byte[] Jpeg(RawImage image, int quality = 90) => Encode(image, SKEncodedImageFormat.Jpeg, quality);

    private static byte[] Encode(RawImage image, SKEncodedImageFormat format, int quality)
    {
        int n = image.Width * image.Height;
        SKImageInfo info;
        byte[] pixels;
        if (image.Channels == 1)
        {
            info = new SKImageInfo(image.Width, image.Height, SKColorType.Gray8, SKAlphaType.Opaque);
            pixels = image.Pixels[..n];
        }
        else
        {
            info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            pixels = new byte[n * 4];
            for (int i = 0; i < n; i++)
            {
                for (int c = 0; c < 3; c++) pixels[4 * i + c] = image.Pixels[3 * i + c];
                pixels[4 * i + 3] = 255;
            }
        }
        using var bitmap = new SKBitmap(info);
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var encoded = bitmap.Encode(format, quality);
        return encoded.ToArray();
    }
}
