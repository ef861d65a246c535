using Edge.Export.Onnx.Graph;
using Edge.Export.Onnx.Passes;
using Xunit;

namespace Edge.Export.Tests.Onnx;

public class GraphPassTests
{
    [Fact]
    public void ConstantFoldingEvaluatesTransposeAndBroadcastMul()
    {
        var g = new GraphBuilder(17);
        var x = g.AddInput("input", [-1, 3, 2]);
        var w = g.Constant("", "w", [1, 2, 3, 4, 5, 6], 2, 3);
        var wT = g.Node("", "Transpose", [w], [3, 2], Attr.Ints("perm", 1, 0));
        var scaled = g.Mul("", wT, g.Constant("", "s", ConstTensor.Of([10f, 100f], 2)));
        g.AddOutput(g.Add("", x, scaled), "out");

        Assert.Equal(2, new ConstantFoldingPass().Run(g.Graph));
        new DeadNodeRemovalPass().Run(g.Graph);

        var add = Assert.Single(g.Graph.Nodes);
        Assert.Equal("Add", add.OpType);
        var folded = g.Graph.Initializers[add.Input[1]];
        Assert.Equal(new long[] { 3, 2 }, folded.Dims);
        Assert.Equal(new float[] { 10, 400, 20, 500, 30, 600 }, folded.Floats);
        Assert.Single(g.Graph.Initializers);
    }

    [Fact]
    public void DeadNodeRemovalDropsUnusedBranchesAndInitializers()
    {
        var g = new GraphBuilder(17);
        var x = g.AddInput("input", [-1, 4]);
        g.Node("", "Relu", [g.Add("", x, g.Constant("", "unused", ConstTensor.Of([1, 2, 3, 4], 4)))], [-1, 4]);
        g.AddOutput(g.Node("", "Sigmoid", [x], [-1, 4]), "out");
        Assert.Equal(2, new DeadNodeRemovalPass().Run(g.Graph));
        Assert.Equal("Sigmoid", Assert.Single(g.Graph.Nodes).OpType);
        Assert.Empty(g.Graph.Initializers);
    }

    [Fact]
    public void ReshapeChainsCollapse()
    {
        var g = new GraphBuilder(17);
        var x = g.AddInput("input", [-1, 4, 6]);
        var a = g.Reshape("", x, -1, 24);
        var b = g.Reshape("", a, -1, 2, 12);
        g.AddOutput(g.Node("", "Relu", [b], b.Shape), "out");
        new ReshapeChainPass().Run(g.Graph);
        new DeadNodeRemovalPass().Run(g.Graph);
        var reshape = Assert.Single(g.Graph.Nodes, n => n.OpType == "Reshape");
        Assert.Equal("input", reshape.Input[0]);
    }

    [Fact]
    public void TransposeOfSizeOneAxesIsAReshape()
    {
        var g = new GraphBuilder(17);
        var x = g.AddInput("input", [-1, 1, 1, 8]);
        var t = g.Transpose("", x, 0, 3, 1, 2);
        Assert.Equal(new long[] { -1, 8, 1, 1 }, t.Shape);
        Assert.Equal("Reshape", Assert.Single(g.Graph.Nodes).OpType);
    }

    [Fact]
    public void ReshapeTracksBatchMultiples()
    {
        Assert.Equal(new long[] { -64, 4, 8 }, ShapeMath.Reshape([-1, 4, 4, 4, 4, 8], [-1, 4, 8]));
        Assert.Equal(new long[] { -1, 8, 8, 8 }, ShapeMath.Reshape([-4, 4, 4, 8], [-1, 8, 8, 8]));
    }
}
