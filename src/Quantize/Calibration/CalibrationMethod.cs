namespace Edge.Quantize.Calibration;

/// <summary>How an activation's range is chosen from the values seen on the calibration set.</summary>
public enum CalibrationMethod
{
    /// <summary>Smallest and largest value seen.</summary>
    MinMax,
    /// <summary>The given percentile of |x| (see <see cref="CalibrationOptions.Percentile"/>), clipping rare outliers.</summary>
    Percentile,
    /// <summary>The clipping threshold that minimises the KL divergence between the float and quantized histograms.</summary>
    Entropy,
}
