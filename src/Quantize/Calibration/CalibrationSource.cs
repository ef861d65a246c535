namespace Edge.Quantize.Calibration;

/// <summary>An <see cref="ICalibrationSource"/> over batches the caller already has, or produces lazily.</summary>
public sealed class CalibrationSource : ICalibrationSource
{
    private readonly Func<IEnumerable<float[]>> _batches;

    public CalibrationSource(IReadOnlyList<long> sampleShape, Func<IEnumerable<float[]>> batches, string? inputName = null)
    {
        if (sampleShape.Count == 0 || sampleShape.Any(d => d < 1))
            throw new Edge.Core.EdgeException($"calibration sample shape [{string.Join(", ", sampleShape)}] must be non-empty and positive");
        SampleShape = sampleShape.ToArray();
        _batches = batches;
        InputName = inputName;
    }

    public CalibrationSource(IReadOnlyList<long> sampleShape, IReadOnlyList<float[]> batches, string? inputName = null)
        : this(sampleShape, () => batches, inputName) { }

    public string? InputName { get; }

    public IReadOnlyList<long> SampleShape { get; }

    public IEnumerable<float[]> Batches() => _batches();
}
