using SkiaSharp;

namespace Edge.Core.Imaging;

/// <summary>
/// Decodes JPEG, PNG, WebP and BMP bytes with SkiaSharp into an upright <see cref="RawImage"/> in the image's own
/// channels: 1 for a grayscale file, 3 (RGB) otherwise. Converting to what a model takes (luma, replication) is the
/// <see cref="Preprocessing.Preprocessor"/>'s job, so a pixel is converted the same way in every stage. Skia reports
/// EXIF orientation but does not apply it, and its default colour type is BGRA, so we ask for RGBA explicitly and
/// rotate ourselves.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Largest side accepted; guards the server against decompression bombs.</summary>
    public const int MaxSide = 16384;

    public static RawImage Decode(ReadOnlySpan<byte> encoded, string? sourceName = null)
    {
        string what = sourceName ?? "image";
        if (encoded.Length == 0)
            throw new EdgeException($"{what} is empty (0 bytes)");

        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data);
        if (codec is null)
            throw new EdgeException($"{what} is not a decodable image; expected JPEG, PNG, WebP or BMP bytes");

        int width = codec.Info.Width, height = codec.Info.Height;
        if (width <= 0 || height <= 0 || width > MaxSide || height > MaxSide)
            throw new EdgeException($"{what} has unsupported dimensions {width}x{height} (each side must be 1..{MaxSide})");

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        byte[] rgba = new byte[info.BytesSize];
        SKCodecResult result;
        unsafe
        {
            fixed (byte* p = rgba)
                result = codec.GetPixels(info, (IntPtr)p);
        }
        // A truncated file decodes "successfully" with IncompleteInput and grey filler: reject it.
        if (result != SKCodecResult.Success)
            throw new EdgeException($"{what} could not be decoded fully ({result}); the file is truncated or corrupt");

        int channels = codec.Info.ColorType == SKColorType.Gray8 ? 1 : 3;
        var (upright, h, w) = Orientation.Apply(rgba, height, width, codec.EncodedOrigin);
        return new RawImage(FromRgba(upright, h, w, channels), h, w, channels);
    }

    public static RawImage DecodeFile(string path)
    {
        if (!File.Exists(path))
            throw new EdgeException($"image not found: {path}");
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>RGBA → RGB, or → its one gray plane (a gray file decodes with R = G = B).</summary>
    private static byte[] FromRgba(byte[] rgba, int height, int width, int channels)
    {
        int n = height * width;
        byte[] result = new byte[n * channels];
        for (int i = 0; i < n; i++)
            for (int c = 0; c < channels; c++)
                result[channels * i + c] = rgba[4 * i + c];
        return result;
    }
}
