using Edge.Onnx.Graph;
using Edge.Onnx.Proto;

namespace Edge.Onnx.Passes;

/// <summary>Drops nodes no graph output depends on, then initializers and value_info nothing reads or produces.</summary>
public sealed class DeadNodeRemovalPass : IGraphPass
{
    public string Name => "dead-node-removal";

    public int Apply(ModelProto model)
    {
        var graph = model.Graph;
        var needed = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var live = GraphIndex.NodeSet();
        // Sweep backwards until nothing changes: one sweep for a topologically ordered graph, which every valid model is.
        for (bool grew = true; grew;)
        {
            grew = false;
            for (int i = graph.Node.Count - 1; i >= 0; i--)
            {
                var node = graph.Node[i];
                if (live.Contains(node) || !node.Output.Any(needed.Contains)) continue;
                live.Add(node);
                grew = true;
                foreach (var input in node.Input.Where(s => s.Length > 0)) needed.Add(input);
            }
        }
        int removed = graph.Node.Count - live.Count;
        var dead = GraphIndex.NodeSet();
        foreach (var n in graph.Node) if (!live.Contains(n)) dead.Add(n);
        if (dead.Count > 0) GraphIndex.Remove(graph, dead);
        // An initializer also listed as a graph input (IR < 4 models) stays: dropping it would turn it into a required input.
        var inputs = new HashSet<string>(graph.Input.Select(i => i.Name), StringComparer.Ordinal);
        var keep = graph.Initializer.Where(t => needed.Contains(t.Name) || inputs.Contains(t.Name)).ToList();
        if (keep.Count != graph.Initializer.Count)
        {
            graph.Initializer.Clear();
            graph.Initializer.AddRange(keep);
        }
        return removed;
    }
}
