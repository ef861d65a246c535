namespace Edge.Quantize.Ops;

/// <summary>What an <see cref="IOpQuantizer"/> did with a node: replaced it by an int8 kernel, or left it in float and why.</summary>
public readonly record struct OpResult(bool Quantized, string Detail)
{
    public static OpResult As(string kernel) => new(true, kernel);
    public static OpResult Float(string reason) => new(false, reason);
}
