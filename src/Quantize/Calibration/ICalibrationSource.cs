namespace Edge.Quantize.Calibration;

/// <summary>
/// Calibration inputs for a single-input model: each batch is a flat float32 buffer of n samples of
/// <see cref="SampleShape"/> (e.g. [1, 32, 32] for an n x 1 x 32 x 32 input), already preprocessed.
/// </summary>
public interface ICalibrationSource
{
    /// <summary>The model input to feed; null means the model's only float input.</summary>
    string? InputName { get; }

    /// <summary>Shape of one sample, without the batch dimension.</summary>
    IReadOnlyList<long> SampleShape { get; }

    IEnumerable<float[]> Batches();
}
