using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Passes;

/// <summary>Drops nodes no graph output depends on, then initializers and shapes nothing reads.</summary>
public sealed class DeadNodeRemovalPass : IGraphPass
{
    public string Name => "dead-node-removal";

    public int Run(OnnxGraph graph)
    {
        var needed = new HashSet<string>(graph.OutputNames);
        var live = new HashSet<Edge.Onnx.Proto.NodeProto>();
        // Nodes are topologically ordered, so one backward sweep finds every live node.
        for (int i = graph.Nodes.Count - 1; i >= 0; i--)
        {
            var node = graph.Nodes[i];
            if (!node.Output.Any(needed.Contains)) continue;
            live.Add(node);
            foreach (var input in node.Input.Where(s => s.Length > 0)) needed.Add(input);
        }
        int removed = graph.Nodes.RemoveAll(n => !live.Contains(n));
        foreach (var name in graph.Initializers.Keys.Where(k => !needed.Contains(k)).ToList()) graph.Initializers.Remove(name);
        var produced = new HashSet<string>(graph.Nodes.SelectMany(n => n.Output).Concat(graph.Initializers.Keys).Concat(graph.Inputs.Select(i => i.Name)));
        foreach (var name in graph.Shapes.Keys.Where(k => !produced.Contains(k)).ToList()) graph.Shapes.Remove(name);
        return removed;
    }
}
