namespace Edge.Export.Onnx.Graph;

/// <summary>
/// A tensor flowing through the graph being built: its name and its shape. Shape entries are static sizes,
/// except negative entries, which are the dynamic batch times a static factor: -1 is "batch", -16 is
/// "batch*16" (what window partitioning produces). Exporters compute output shapes as they go, so every
/// Reshape can be static except for its one batch-carrying axis.
/// </summary>
public sealed record OnnxValue(string Name, long[] Shape)
{
    public int Rank => Shape.Length;

    public long this[int axis] => Shape[axis < 0 ? axis + Shape.Length : axis];

    public override string ToString() => $"{Name}[{string.Join(",", Shape.Select(ShapeMath.Describe))}]";
}
