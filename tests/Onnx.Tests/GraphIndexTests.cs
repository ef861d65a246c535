using Edge.Onnx.Graph;
using Edge.Onnx.Proto;
using Xunit;

namespace Edge.Onnx.Tests;

public class GraphIndexTests
{
    /// <summary>x → Relu → (Mul(r, r), Sigmoid) → Add: r has two readers, one of them reading it twice.</summary>
    private static (GraphProto Graph, string Relu, string Mul, string Sigmoid, string Add) Diamond()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 4);
        string r = g.Op("Relu", [x]);
        string m = g.Op("Mul", [r, r]);
        string s = g.Op("Sigmoid", [r]);
        string a = g.Op("Add", [m, s]);
        g.Output(a);
        g.Declare(r, -1, 4);
        g.Declare(m, -1, 4);
        return (g.Build().Graph, r, m, s, a);
    }

    [Fact]
    public void ProducersAndConsumersListEachReaderOnce()
    {
        var (graph, r, m, s, a) = Diamond();
        var index = new GraphIndex(graph);
        Assert.Equal("Relu", index.Producer(r)!.OpType);
        Assert.Equal(["Mul", "Sigmoid"], index.Consumers(r).Select(n => n.OpType));
        Assert.Null(index.SingleConsumer(r, "Mul"));
        Assert.Equal("Add", index.SingleConsumer(s, "Add")!.OpType);
        Assert.True(index.IsGraphOutput(a));
        Assert.Null(index.SingleConsumer(a, "Add"));
        Assert.Empty(index.Consumers(a));
        Assert.Null(index.Producer("x"));
    }

    [Fact]
    public void UniqueNamesNeverCollideWithTensorsNodesOrInitializers()
    {
        var (graph, r, _, _, _) = Diamond();
        var index = new GraphIndex(graph);
        Assert.Equal(r + "_1", index.Unique(r));
        Assert.Equal(r + "_2", index.Unique(r));
        Assert.Equal("relu0_1", index.Unique("relu0"));   // the node's name
        Assert.Equal("x_1", index.Unique("x"));           // the graph input
        string w = index.AddFloats("w", [2], [1f, 2f]);
        Assert.Equal("w", w);
        Assert.Equal("w_1", index.AddFloats("w", [1], [3f]));
        Assert.Equal([1f, 2f], Tensors.ToFloats(index.FloatInitializer("w")!));
        Assert.True(index.IsFloatConstant("w_1"));
        Assert.Equal(2, graph.Initializer.Count);
    }

    [Fact]
    public void ReplaceUsesRewiresEveryReadingInput()
    {
        var (graph, r, m, s, _) = Diamond();
        var index = new GraphIndex(graph);
        index.ReplaceUses(r, "x");
        var mul = graph.Node.Single(n => n.OpType == "Mul");
        Assert.Equal(["x", "x"], mul.Input);
        Assert.Equal("x", graph.Node.Single(n => n.OpType == "Sigmoid").Input[0]);
        Assert.Empty(index.Consumers(r));
        Assert.Equal(2, index.Consumers("x").Count(n => n.OpType is "Mul" or "Sigmoid"));
    }

    [Fact]
    public void SpliceReplacesInPlaceAndDropsValueInfoOfRemovedTensors()
    {
        var (graph, r, m, s, a) = Diamond();
        var mul = graph.Node.Single(n => n.OpType == "Mul");
        var sigmoid = graph.Node.Single(n => n.OpType == "Sigmoid");
        var square = Nodes.Create("Pow", "square", [r, "two"], [m + "_pow"]);
        var replace = GraphIndex.ReplacementMap();
        replace[mul] = [square];
        var remove = GraphIndex.NodeSet();
        remove.Add(sigmoid);
        GraphIndex.Splice(graph, replace, remove);
        Assert.Equal(["Relu", "Pow", "Add"], graph.Node.Select(n => n.OpType));
        Assert.Equal([r], graph.ValueInfo.Select(v => v.Name)); // m is no longer produced
    }

    [Fact]
    public void DeclaredShapesComeFromValueInfoInputsAndInitializers()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 3, 8);
        string w = g.Constant("w", [2, 3], 1, 2, 3, 4, 5, 6);
        string y = g.Op("Relu", [x]);
        g.Declare(y, -1, 3, 8);
        g.Output(y);
        var index = new GraphIndex(g.Build().Graph);
        Assert.Equal("N", index.DeclaredShape(x)!.Dim[0].DimParam);
        Assert.Equal(8, index.DeclaredShape(y)!.Dim[2].DimValue);
        Assert.Equal([2L, 3L], index.DeclaredShape(w)!.Dim.Select(d => d.DimValue));
        Assert.Null(index.DeclaredShape("nothing"));
    }

    [Fact]
    public void AttributesRoundTrip()
    {
        var n = Nodes.Create("Conv", "c", ["x", "w"], ["y"], "", Attr.Ints("pads", 1, 1, 1, 1), Attr.Int("group", 4), Attr.Float("alpha", 0.5f), Attr.String("auto_pad", "NOTSET"));
        Assert.Equal([1L, 1, 1, 1], n.GetInts("pads")!);
        Assert.Equal(4, n.GetInt("group"));
        Assert.Equal(0.5f, n.GetFloat("alpha"));
        Assert.Equal("NOTSET", n.GetString("auto_pad"));
        Assert.Null(n.GetInt("strides"));
        n.Set(Attr.Int("group", 8));
        Assert.Equal(8, n.GetInt("group"));
        Assert.Single(n.Attribute, a => a.Name == "group");
    }
}
