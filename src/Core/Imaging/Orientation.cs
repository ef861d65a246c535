using SkiaSharp;

namespace Edge.Core.Imaging;

/// <summary>Applies an EXIF orientation to 4-byte pixels so the image is upright as a viewer shows it.</summary>
internal static class Orientation
{
    public static (byte[] Pixels, int Height, int Width) Apply(byte[] rgba, int height, int width, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or 0)
            return (rgba, height, width);

        bool swaps = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop
            or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int outH = swaps ? width : height, outW = swaps ? height : width;
        byte[] result = new byte[rgba.Length];
        var source = SourceOf(origin, height, width);
        for (int y = 0; y < outH; y++)
        {
            for (int x = 0; x < outW; x++)
            {
                var (sx, sy) = source(x, y);
                Buffer.BlockCopy(rgba, (sy * width + sx) * 4, result, (y * outW + x) * 4, 4);
            }
        }
        return (result, outH, outW);
    }

    /// <summary>Maps a displayed pixel (x, y) to the stored pixel it comes from.</summary>
    private static Func<int, int, (int, int)> SourceOf(SKEncodedOrigin origin, int h, int w) => origin switch
    {
        SKEncodedOrigin.TopRight => (x, y) => (w - 1 - x, y),
        SKEncodedOrigin.BottomRight => (x, y) => (w - 1 - x, h - 1 - y),
        SKEncodedOrigin.BottomLeft => (x, y) => (x, h - 1 - y),
        SKEncodedOrigin.LeftTop => (x, y) => (y, x),
        SKEncodedOrigin.RightTop => (x, y) => (y, h - 1 - x),
        SKEncodedOrigin.RightBottom => (x, y) => (w - 1 - y, h - 1 - x),
        SKEncodedOrigin.LeftBottom => (x, y) => (w - 1 - y, x),
        _ => (x, y) => (x, y),
    };
}
