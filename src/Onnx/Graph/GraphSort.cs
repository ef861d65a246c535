using Edge.Core;
using Edge.Onnx.Proto;

namespace Edge.Onnx.Graph;

/// <summary>Orders nodes so each runs after the producers of its inputs (ONNX requires it), keeping the original order where free.</summary>
public static class GraphSort
{
    public static List<NodeProto> Topological(IReadOnlyList<NodeProto> nodes, IEnumerable<string> available)
    {
        var ready = new HashSet<string>(available, StringComparer.Ordinal) { "" };
        var producerIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < nodes.Count; i++)
            foreach (string o in nodes[i].Output) producerIndex[o] = i;
        var waiting = new int[nodes.Count];
        var dependents = new List<int>[nodes.Count];
        for (int i = 0; i < nodes.Count; i++)
        {
            dependents[i] = [];
        }
        for (int i = 0; i < nodes.Count; i++)
            foreach (string input in nodes[i].Input.Distinct())
                if (!ready.Contains(input) && producerIndex.TryGetValue(input, out int p))
                {
                    waiting[i]++;
                    dependents[p].Add(i);
                }
        var queue = new PriorityQueue<int, int>();
        for (int i = 0; i < nodes.Count; i++) if (waiting[i] == 0) queue.Enqueue(i, i);
        var order = new List<NodeProto>(nodes.Count);
        while (queue.TryDequeue(out int i, out _))
        {
            order.Add(nodes[i]);
            foreach (int d in dependents[i])
                if (--waiting[d] == 0) queue.Enqueue(d, d);
        }
        if (order.Count != nodes.Count)
            throw new EdgeException("the graph has a cycle or a missing producer after a rewrite (a bug in the pass that made it)");
        return order;
    }
}
