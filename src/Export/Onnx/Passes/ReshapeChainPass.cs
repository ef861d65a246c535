using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Passes;

/// <summary>
/// Reshape(Reshape(x)) → Reshape(x): exporters reshape at module boundaries (tokens ↔ maps), which leaves
/// back-to-back Reshapes between blocks. The inner one is skipped; if nothing else reads it, dead-node removal
/// drops it. A Reshape whose output shape equals its input shape becomes a pass-through.
/// </summary>
public sealed class ReshapeChainPass : IGraphPass
{
    public string Name => "reshape-chains";

    public int Run(OnnxGraph graph)
    {
        var producers = graph.Producers();
        var outputs = graph.OutputNames;
        int changed = 0;
        foreach (var node in graph.Nodes.Where(n => n.OpType == "Reshape").ToList())
        {
            while (producers.TryGetValue(node.Input[0], out var inner) && inner.OpType == "Reshape")
            {
                node.Input[0] = inner.Input[0];
                changed++;
            }
            if (outputs.Contains(node.Output[0])) continue;
            if (graph.Shapes.TryGetValue(node.Input[0], out var inShape) && graph.Shapes.TryGetValue(node.Output[0], out var outShape)
                && inShape.SequenceEqual(outShape))
            {
                graph.ReplaceUses(node.Output[0], node.Input[0]);
                changed++;
            }
        }
        return changed;
    }
}
