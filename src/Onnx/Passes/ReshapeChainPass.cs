using Edge.Onnx.Graph;
using Edge.Onnx.Proto;

namespace Edge.Onnx.Passes;

/// <summary>
/// Reshape(Reshape(x)) → Reshape(x): exporters reshape at module boundaries (tokens ↔ maps), which leaves
/// back-to-back Reshapes between blocks. The inner one is skipped; if nothing else reads it, dead-node removal
/// drops it. A Reshape whose declared output shape equals its input's becomes a pass-through.
/// </summary>
public sealed class ReshapeChainPass : IGraphPass
{
    public string Name => "reshape-chains";

    public int Apply(ModelProto model)
    {
        var graph = model.Graph;
        var index = new GraphIndex(graph);
        int changed = 0;
        foreach (var node in graph.Node.Where(n => n.OpType == "Reshape" && GraphIndex.IsDefaultDomain(n)).ToList())
        {
            while (index.Producer(node.Input[0]) is { OpType: "Reshape" } inner && GraphIndex.IsDefaultDomain(inner))
            {
                node.Input[0] = inner.Input[0];
                changed++;
            }
            if (index.IsGraphOutput(node.Output[0])) continue;
            if (index.DeclaredShape(node.Input[0]) is { } inShape && index.DeclaredShape(node.Output[0]) is { } outShape && Same(inShape, outShape))
            {
                index.ReplaceUses(node.Output[0], node.Input[0]);
                changed++;
            }
        }
        return changed;
    }

    /// <summary>Equal ranks, and every dimension the same static size or the same symbol; an unknown dimension matches nothing.</summary>
    private static bool Same(TensorShapeProto a, TensorShapeProto b) =>
        a.Dim.Count == b.Dim.Count && a.Dim.Zip(b.Dim).All(p =>
            p.First.HasDimValue ? p.Second.HasDimValue && p.First.DimValue == p.Second.DimValue
            : p.First.HasDimParam && p.Second.HasDimParam && p.First.DimParam == p.Second.DimParam);
}
