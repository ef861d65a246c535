namespace Edge.Core.Imaging;

/// <summary>
/// An image as float32 planes (channel × height × width) with values in [0, 1]: decoded pixels / 255, in the
/// image's own channels (1 gray, 3 RGB) and size. Training augments this form once per sample; every model then
/// takes its own view of it through <see cref="Preprocessing.Preprocessor"/> (its crop, size, colour and
/// normalisation), so an unaugmented canvas gives exactly the tensor the gate and the server build from the image.
/// </summary>
public sealed class Canvas
{
    public Canvas(float[] data, int channels, int height, int width)
    {
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), $"a canvas has 1 or 3 channels, got {channels}");
        if (height < 1 || width < 1) throw new ArgumentOutOfRangeException(nameof(height), $"canvas size {height}x{width}");
        if (data.Length < channels * height * width)
            throw new ArgumentException($"canvas data holds {data.Length} floats, {channels}x{height}x{width} needs {channels * height * width}");
        Data = data; Channels = channels; Height = height; Width = width;
    }

    public float[] Data { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int PlaneLength => Height * Width;
    public int Length => Channels * Height * Width;

    public Span<float> Plane(int c) => Data.AsSpan(c * PlaneLength, PlaneLength);

    public Canvas Clone() => new((float[])Data[..Length].Clone(), Channels, Height, Width);

    /// <summary>Interleaved 8-bit pixels → planes of p / 255 (the same division every stage performs).</summary>
    public static Canvas From(RawImage image)
    {
        int c = image.Channels, n = image.Height * image.Width;
        var data = new float[c * n];
        byte[] px = image.Pixels;
        for (int ch = 0; ch < c; ch++)
        {
            var plane = data.AsSpan(ch * n, n);
            for (int i = 0; i < n; i++) plane[i] = px[i * c + ch] / 255f;
        }
        return new Canvas(data, c, image.Height, image.Width);
    }
}
