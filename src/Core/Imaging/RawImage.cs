namespace Edge.Core.Imaging;

/// <summary>
/// Decoded 8-bit pixels, interleaved height × width × channels (channels 1 = gray, 3 = RGB), already upright
/// (EXIF orientation applied). The one input type of <see cref="Preprocessing.Preprocessor"/>.
/// </summary>
public sealed record RawImage(byte[] Pixels, int Height, int Width, int Channels)
{
    public byte this[int y, int x, int c] => Pixels[(y * Width + x) * Channels + c];
}
