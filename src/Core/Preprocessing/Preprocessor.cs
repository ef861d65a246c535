using System.Collections.Concurrent;
using Edge.Core.Imaging;

namespace Edge.Core.Preprocessing;

/// <summary>
/// The single implementation of <see cref="PreprocessSpec"/>. Every stage that turns pixels into a tensor calls
/// this class, so a tensor is bit-identical in distill evaluation, export parity, the gate and the server.
/// Pure float32 arithmetic in a fixed order, no SIMD reassociation, so results do not depend on the machine
/// or on how batches are split across threads. Thread-safe.
/// </summary>
public sealed class Preprocessor
{
    private readonly ConcurrentDictionary<(int H, int W), ResizePlan> _plans = new();
    private readonly float[] _invStd;

    public Preprocessor(PreprocessSpec spec)
    {
        spec.Validate();
        Spec = spec;
        _invStd = spec.Std.Select(s => 1f / s).ToArray();
    }

    public PreprocessSpec Spec { get; }

    public int TensorLength => Spec.TensorLength;

    public float[] Run(RawImage image)
    {
        var result = new float[TensorLength];
        Run(image, result);
        return result;
    }

    /// <summary>Writes the CHW tensor of <paramref name="image"/> into <paramref name="destination"/>.</summary>
    public void Run(RawImage image, Span<float> destination)
    {
        if (destination.Length < TensorLength)
            throw new ArgumentException($"destination holds {destination.Length} floats, needs {TensorLength}");
        if (image.Channels != Spec.Channels)
            throw new EdgeException($"image has {image.Channels} channel(s) but the model expects {Spec.Channels}; decode it with channels={Spec.Channels}");

        var plan = _plans.GetOrAdd((image.Height, image.Width), key => ResizePlan.Create(key.H, key.W, Spec));
        int outH = Spec.Height, outW = Spec.Width, ch = Spec.Channels;
        byte[] px = image.Pixels;
        int rowStride = image.Width * ch;
        for (int c = 0; c < ch; c++)
        {
            float mean = Spec.Mean[c], invStd = _invStd[c];
            Span<float> plane = destination.Slice(c * outH * outW, outH * outW);
            for (int y = 0; y < outH; y++)
            {
                int r0 = plan.Y0[y] * rowStride, r1 = plan.Y1[y] * rowStride;
                float wy0 = plan.WY0[y], wy1 = plan.WY1[y];
                for (int x = 0; x < outW; x++)
                {
                    int c0 = plan.X0[x] * ch + c, c1 = plan.X1[x] * ch + c;
                    float wx0 = plan.WX0[x], wx1 = plan.WX1[x];
                    // Same association as PyTorch's upsample_bilinear2d: h0λ·(w0λ·p00 + w1λ·p01) + h1λ·(w0λ·p10 + w1λ·p11).
                    float p00 = px[r0 + c0] / 255f, p01 = px[r0 + c1] / 255f;
                    float p10 = px[r1 + c0] / 255f, p11 = px[r1 + c1] / 255f;
                    float v = wy0 * (wx0 * p00 + wx1 * p01) + wy1 * (wx0 * p10 + wx1 * p11);
                    plane[y * outW + x] = (v - mean) * invStd;
                }
            }
        }
    }
}
