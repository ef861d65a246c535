namespace Edge.Quantize.Calibration;

/// <summary>
/// Accumulates one tensor's values over calibration batches: exact min/max plus, when a histogram method is
/// used, a histogram of |x| whose range doubles (merging bin pairs) whenever a larger value arrives, so one
/// pass over the data is enough.
/// </summary>
internal sealed class RangeEstimator
{
    private readonly double[]? _hist;
    private float _histMax;
    // Exact zeros (ReLU outputs are often half zeros) are counted apart: they are exact in any quantization,
    // and as a spike in bin 0 they would pull the entropy threshold far down.
    private double _zeros;

    public RangeEstimator(int bins, bool histogram)
    {
        _hist = histogram ? new double[bins] : null;
    }

    public float Min { get; private set; } = float.PositiveInfinity;
    public float Max { get; private set; } = float.NegativeInfinity;

    public void Add(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty) return;
        float min = System.Numerics.Tensors.TensorPrimitives.Min(values);
        float max = System.Numerics.Tensors.TensorPrimitives.Max(values);
        if (float.IsNaN(min) || float.IsNaN(max)) throw new Edge.Core.EdgeException("calibration produced NaN activations; check the model and the calibration inputs");
        Min = Math.Min(Min, min);
        Max = Math.Max(Max, max);
        if (_hist is null) return;
        float absMax = Math.Max(-min, max);
        if (absMax <= 0) { _zeros += values.Length; return; }
        if (_histMax == 0) _histMax = absMax;
        while (absMax > _histMax) Grow();
        int n = _hist.Length;
        float perBin = n / _histMax;
        foreach (float v in values)
        {
            if (v == 0) { _zeros++; continue; }
            int b = (int)(Math.Abs(v) * perBin);
            _hist[b < n ? b : n - 1]++;
        }
    }

    private void Grow()
    {
        var h = _hist!;
        int half = h.Length / 2;
        for (int i = 0; i < half; i++) h[i] = h[2 * i] + h[2 * i + 1];
        Array.Clear(h, half, h.Length - half);
        _histMax *= 2;
    }

    public TensorRange Estimate(CalibrationOptions options)
    {
        if (float.IsInfinity(Min)) return new TensorRange(0, 0);
        if (options.Method == CalibrationMethod.MinMax || _hist is null || _histMax == 0)
            return new TensorRange(Min, Max);
        float threshold = options.Method == CalibrationMethod.Percentile
            ? PercentileThreshold(options.Percentile)
            : EntropyThreshold(Min >= 0 ? 255 : 128);
        return new TensorRange(Math.Max(Min, -threshold), Math.Min(Max, threshold));
    }

    private float BinWidth => _histMax / _hist!.Length;

    private float PercentileThreshold(double percentile)
    {
        var h = _hist!;
        double total = h.Sum() + _zeros, target = total * percentile / 100.0, cum = _zeros;
        for (int i = 0; i < h.Length; i++)
        {
            cum += h[i];
            if (cum >= target) return (i + 1) * BinWidth;
        }
        return _histMax;
    }

    /// <summary>
    /// TensorRT's KL calibration: for each candidate threshold, fold the clipped tail into the last bin (p),
    /// quantize p into <paramref name="levels"/> levels and spread each level back over its non-empty bins (q);
    /// keep the threshold with the smallest KL(p || q).
    /// </summary>
    private float EntropyThreshold(int levels)
    {
        var h = _hist!;
        int n = h.Length;
        int last = n - 1;
        while (last > 0 && h[last] == 0) last--;
        int used = last + 1;
        if (used <= 16) return used * BinWidth;
        double bestKl = double.PositiveInfinity;
        int bestI = used;
        var p = new double[used];
        var q = new double[used];
        double tail = 0;
        for (int k = used; k < n; k++) tail += h[k];
        // Candidate thresholds from 16 bins up to every used bin; a stride keeps this O(bins²/stride). Below
        // `levels` bins each level holds at most one bin, so only clipping is measured: that lets a bulk that
        // an outlier squeezed into the first few bins still get a tight threshold.
        int first = Math.Min(16, used);
        int stride = Math.Max(1, (used - first) / 256);
        for (int i = first; i <= used; i += stride)
        {
            double outliers = 0;
            for (int k = i; k < used; k++) outliers += h[k];
            for (int k = 0; k < i; k++) p[k] = h[k];
            p[i - 1] += outliers + tail;
            Array.Clear(q, 0, i);
            double binsPerLevel = (double)i / levels;
            for (int l = 0; l < levels; l++)
            {
                int start = (int)(l * binsPerLevel);
                int end = l == levels - 1 ? i : (int)((l + 1) * binsPerLevel);
                if (end <= start) continue;
                double sum = 0;
                int nonZero = 0;
                for (int k = start; k < end; k++) { sum += h[k]; if (h[k] != 0) nonZero++; }
                if (nonZero == 0) continue;
                double avg = sum / nonZero;
                for (int k = start; k < end; k++) if (h[k] != 0) q[k] = avg;
            }
            double kl = Kl(p.AsSpan(0, i), q.AsSpan(0, i));
            if (kl < bestKl) { bestKl = kl; bestI = i; }
        }
        return (bestI + 0.5f) * BinWidth;
    }

    private static double Kl(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        double ps = 0, qs = 0;
        for (int k = 0; k < p.Length; k++) { ps += p[k]; qs += q[k]; }
        if (ps == 0 || qs == 0) return double.PositiveInfinity;
        double kl = 0;
        for (int k = 0; k < p.Length; k++)
        {
            if (p[k] == 0) continue;
            double pk = p[k] / ps;
            // A bin the quantized histogram left empty gets a tiny mass instead of an infinite penalty.
            double qk = q[k] == 0 ? 1e-12 : q[k] / qs;
            kl += pk * Math.Log(pk / qk);
        }
        return kl;
    }
}
