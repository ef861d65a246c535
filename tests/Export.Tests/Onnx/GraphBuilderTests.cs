using Edge.Export.Onnx.Graph;
using Edge.Onnx.Graph;
using Xunit;

namespace Edge.Export.Tests.Onnx;

/// <summary>The exporter's graph builder: shape bookkeeping and the layout shortcuts it takes.</summary>
public class GraphBuilderTests
{
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
