namespace Edge.Quantize.Sensitivity;

/// <summary>How much the metric recovers when one layer alone stays float.</summary>
public sealed record LayerSensitivity(string Node, string OpType, double MetricWithLayerFloat, double Gain);

public sealed record SensitivityResult(
    QuantizeReport Report,
    double FloatMetric,
    double QuantizedMetric,
    IReadOnlyList<string> KeptInFloat,
    IReadOnlyList<LayerSensitivity> Layers,
    int Evaluations);

/// <summary>The budget could not be met: carries the best result reached and the layers that blocked it.</summary>
public sealed class SensitivityBudgetException : Edge.Core.EdgeException
{
    public SensitivityBudgetException(string message, double floatMetric, double bestMetric, IReadOnlyList<string> keptInFloat, IReadOnlyList<LayerSensitivity> layers)
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
    public IReadOnlyList<LayerSensitivity> Layers { get; }
}
