using System.Buffers;
using System.Collections.Concurrent;
using Edge.Core.Imaging;

namespace Edge.Core.Preprocessing;

/// <summary>
/// The single implementation of <see cref="PreprocessSpec"/>. Every stage that turns pixels into a tensor calls
/// this class, so a tensor is bit-identical in distill, export parity, the gate and the server. An 8-bit image is
/// first made a <see cref="Canvas"/> (p / 255), so a decoded image and an unaugmented training canvas give the same
/// bits. Pure float32 arithmetic in a fixed order, no SIMD reassociation, so results do not depend on the machine or
/// on how batches are split across threads. Thread-safe.
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
    public void Run(RawImage image, Span<float> destination) => Run(Canvas.From(image), destination);

    /// <summary>Writes this model's view of <paramref name="canvas"/> (any channels, any size) into <paramref name="destination"/>.</summary>
    public void Run(Canvas canvas, Span<float> destination)
    {
        if (destination.Length < TensorLength)
            throw new ArgumentException($"destination holds {destination.Length} floats, needs {TensorLength}");
        var plan = _plans.GetOrAdd((canvas.Height, canvas.Width), key => ResizePlan.Create(key.H, key.W, Spec));
        int outH = Spec.Height, outW = Spec.Width, plane = outH * outW;
        float[]? luma = null;
        try
        {
            ReadOnlySpan<float> gray = default;
            bool toGray = Spec.EffectiveColor == ColorMode.Gray;
            if (toGray)
            {
                if (canvas.Channels == 1) gray = canvas.Plane(0);
                else
                {
                    luma = ArrayPool<float>.Shared.Rent(canvas.PlaneLength);
                    Luma(canvas, luma.AsSpan(0, canvas.PlaneLength));
                    gray = luma.AsSpan(0, canvas.PlaneLength);
                }
            }
            for (int c = 0; c < Spec.Channels; c++)
            {
                // An RGB model reads plane c of an RGB canvas, or the one plane of a gray canvas (replication).
                ReadOnlySpan<float> source = toGray ? gray : canvas.Plane(canvas.Channels == 3 ? c : 0);
                Resample(source, canvas.Width, plan, Spec.Mean[c], _invStd[c], destination.Slice(c * plane, plane), outH, outW);
            }
        }
        finally
        {
            if (luma is not null) ArrayPool<float>.Shared.Return(luma);
        }
    }

    /// <summary>ITU-R BT.601 luma, summed in double and rounded once to float32, so a gray image stored as RGB
    /// (R = G = B) gives back exactly its own values.</summary>
    private static void Luma(Canvas canvas, Span<float> destination)
    {
        var r = canvas.Plane(0); var g = canvas.Plane(1); var b = canvas.Plane(2);
        for (int i = 0; i < destination.Length; i++)
            destination[i] = (float)(0.299 * r[i] + 0.587 * g[i] + 0.114 * b[i]);
    }

    private static void Resample(ReadOnlySpan<float> source, int srcWidth, ResizePlan plan, float mean, float invStd,
        Span<float> destination, int outH, int outW)
    {
        for (int y = 0; y < outH; y++)
        {
            int r0 = plan.Y0[y] * srcWidth, r1 = plan.Y1[y] * srcWidth;
            float wy0 = plan.WY0[y], wy1 = plan.WY1[y];
            for (int x = 0; x < outW; x++)
            {
                int c0 = plan.X0[x], c1 = plan.X1[x];
                float wx0 = plan.WX0[x], wx1 = plan.WX1[x];
                // Same association as PyTorch's upsample_bilinear2d: h0λ·(w0λ·p00 + w1λ·p01) + h1λ·(w0λ·p10 + w1λ·p11).
                float p00 = source[r0 + c0], p01 = source[r0 + c1];
                float p10 = source[r1 + c0], p11 = source[r1 + c1];
                float v = wy0 * (wx0 * p00 + wx1 * p01) + wy1 * (wx0 * p10 + wx1 * p11);
                destination[y * outW + x] = (v - mean) * invStd;
            }
        }
    }
}
