namespace Edge.Quantize.Calibration;

public sealed record CalibrationOptions
{
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>Percentile of |x| kept for <see cref="CalibrationMethod.Percentile"/>, in (0, 100].</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>Histogram bins for Percentile and Entropy.</summary>
    public int HistogramBins { get; init; } = 2048;

    /// <summary>ONNX Runtime intra-op threads while collecting ranges.</summary>
    public int Threads { get; init; } = 2;

    public void Validate()
    {
        if (!(Percentile > 0 && Percentile <= 100))
            throw new Edge.Core.EdgeException($"calibration percentile must be in (0, 100], got {Percentile}");
        if (HistogramBins < 256 || HistogramBins % 2 != 0)
            throw new Edge.Core.EdgeException($"calibration histogram bins must be an even number ≥ 256, got {HistogramBins}");
        if (Threads < 1)
            throw new Edge.Core.EdgeException($"calibration threads must be at least 1, got {Threads}");
    }
}
