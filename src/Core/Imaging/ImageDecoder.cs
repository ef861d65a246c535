using SkiaSharp;

namespace Edge.Core.Imaging;

/// <summary>
/// Decodes JPEG, PNG, WebP and BMP bytes with SkiaSharp into an upright <see cref="RawImage"/> with the channel
/// count the model wants. Skia reports EXIF orientation but does not apply it, and its default colour type
/// is BGRA, so we ask for RGBA explicitly and rotate ourselves.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Largest side accepted; guards the server against decompression bombs.</summary>
    public const int MaxSide = 16384;

    public static RawImage Decode(ReadOnlySpan<byte> encoded, int channels, string? sourceName = null)
    {
        string what = sourceName ?? "image";
        if (channels is not (1 or 3))
            throw new EdgeException($"unsupported channel count {channels}: models take 1 (gray) or 3 (RGB) channels");
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

        var (upright, h, w) = Orientation.Apply(rgba, height, width, codec.EncodedOrigin);
        return new RawImage(ToChannels(upright, h, w, channels), h, w, channels);
    }

    public static RawImage DecodeFile(string path, int channels)
    {
        if (!File.Exists(path))
            throw new EdgeException($"image not found: {path}");
        return Decode(File.ReadAllBytes(path), channels, path);
    }

    private static byte[] ToChannels(byte[] rgba, int height, int width, int channels)
    {
        int n = height * width;
        byte[] result = new byte[n * channels];
        if (channels == 3)
        {
            for (int i = 0; i < n; i++)
            {
                result[3 * i] = rgba[4 * i];
                result[3 * i + 1] = rgba[4 * i + 1];
                result[3 * i + 2] = rgba[4 * i + 2];
            }
        }
        else
        {
            // ITU-R BT.601 luma in integers, so a gray image (R = G = B) maps back to exactly its own values.
            for (int i = 0; i < n; i++)
                result[i] = (byte)((299 * rgba[4 * i] + 587 * rgba[4 * i + 1] + 114 * rgba[4 * i + 2] + 500) / 1000);
        }
        return result;
    }
}
