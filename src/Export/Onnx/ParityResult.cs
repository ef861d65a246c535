namespace Edge.Export.Onnx;

/// <summary>TorchSharp vs ONNX Runtime on the same inputs.</summary>
public sealed record ParityResult(int Samples, double MaxAbsDiff, double MeanAbsDiff, double Top1Agreement)
{
    /// <summary>The export bar: max |diff| ≤ 1e-4 and every top-1 prediction identical.</summary>
    public bool Passes(double maxAbsTolerance = 1e-4) => MaxAbsDiff <= maxAbsTolerance && Top1Agreement >= 1.0;

    public override string ToString() =>
        $"{Samples} samples: max |diff| {MaxAbsDiff:E2}, mean |diff| {MeanAbsDiff:E2}, top-1 agreement {Top1Agreement:P2}";
}
