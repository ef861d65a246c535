using SkiaSharp;

namespace Edge.Core.Imaging;

/// <summary>Encodes a <see cref="RawImage"/> as PNG (lossless): how the quickstart and tests send real dataset images to the server.</summary>
public static class ImageEncoder
{
    public static byte[] Png(RawImage image)
    {
        var info = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var rgba = new byte[image.Width * image.Height * 4];
        for (int i = 0; i < image.Width * image.Height; i++)
        {
            for (int c = 0; c < 3; c++)
                rgba[4 * i + c] = image.Channels == 1 ? image.Pixels[i] : image.Pixels[3 * i + c];
            rgba[4 * i + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        using var encoded = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return encoded.ToArray();
    }
}
