namespace Edge.Quantize.Sensitivity;

public sealed record SensitivityResult(
    QuantizeReport Report,
    double FloatMetric,
    double QuantizedMetric,
    IReadOnlyList<string> KeptInFloat,
    IReadOnlyList<LayerError> Layers,
    int Evaluations);

/// <summary>The budget could not be met: carries the best result reached and the layers ranked most sensitive.</summary>
public sealed class SensitivityBudgetException : Edge.Core.EdgeException
{
    public SensitivityBudgetException(string message, double floatMetric, double bestMetric, IReadOnlyList<string> keptInFloat, IReadOnlyList<LayerError> layers)
        : base(message)
    {
        FloatMetric = floatMetric;
        BestMetric = bestMetric;
        KeptInFloat = keptInFloat;
        Layers = layers;
    }

    public double FloatMetric { get; }
    public double BestMetric { get; }
    public IReadOnlyList<string> KeptInFloat { get; }
    public IReadOnlyList<LayerError> Layers { get; }
}
