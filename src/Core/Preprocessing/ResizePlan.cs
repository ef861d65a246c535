namespace Edge.Core.Preprocessing;

/// <summary>
/// Source indices and weights for one (source size → target size) pair, computed once and reused: the centre
/// crop is folded into the coordinate mapping, so cropping never copies pixels.
/// </summary>
internal sealed class ResizePlan
{
    public required int[] Y0, Y1, X0, X1;
    public required float[] WY0, WY1, WX0, WX1;

    public static ResizePlan Create(int srcH, int srcW, PreprocessSpec spec)
    {
        var (y0, y1, wy0, wy1) = Axis(srcH, spec.Height, spec.CropFraction, spec.Resize);
        var (x0, x1, wx0, wx1) = Axis(srcW, spec.Width, spec.CropFraction, spec.Resize);
        return new ResizePlan { Y0 = y0, Y1 = y1, WY0 = wy0, WY1 = wy1, X0 = x0, X1 = x1, WX0 = wx0, WX1 = wx1 };
    }

    private static (int[] I0, int[] I1, float[] W0, float[] W1) Axis(int src, int dst, float cropFraction, ResizeMethod method)
    {
        // Centre crop: keep round(src * fraction) pixels starting at the centred offset.
        int kept = Math.Max(1, (int)MathF.Round(src * cropFraction));
        int offset = (src - kept) / 2;
        var i0 = new int[dst]; var i1 = new int[dst];
        var w0 = new float[dst]; var w1 = new float[dst];
        float scale = (float)kept / dst;
        for (int d = 0; d < dst; d++)
        {
            // Half-pixel centres, clamped at 0 as PyTorch's area_pixel_compute_source_index does.
            float s = scale * (d + 0.5f) - 0.5f;
            if (s < 0) s = 0;
            int a = (int)s;
            if (a > kept - 1) a = kept - 1;
            int b = a < kept - 1 ? a + 1 : a;
            float lambda = s - a;
            if (method == ResizeMethod.Nearest)
            {
                int n = Math.Min((int)MathF.Floor(scale * d), kept - 1);
                a = b = n;
                lambda = 0;
            }
            i0[d] = offset + a; i1[d] = offset + b;
            w1[d] = lambda; w0[d] = 1f - lambda;
        }
        return (i0, i1, w0, w1);
    }
}
