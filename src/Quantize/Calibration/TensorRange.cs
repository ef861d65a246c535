namespace Edge.Quantize.Calibration;

/// <summary>The float range chosen for one tensor by calibration.</summary>
public readonly record struct TensorRange(float Min, float Max);

/// <summary>Calibrated ranges by tensor name, with how they were obtained (for the report).</summary>
public sealed class TensorRangeSet
{
    public TensorRangeSet(IReadOnlyDictionary<string, TensorRange> ranges, CalibrationMethod method, int samples)
    {
        Ranges = ranges;
        Method = method;
        Samples = samples;
    }

    public IReadOnlyDictionary<string, TensorRange> Ranges { get; }

    public CalibrationMethod Method { get; }

    /// <summary>Calibration samples seen (batch rows, not batches).</summary>
    public int Samples { get; }

    public bool TryGet(string tensor, out TensorRange range) => Ranges.TryGetValue(tensor, out range);
}
