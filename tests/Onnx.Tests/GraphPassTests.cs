using Edge.Onnx.Graph;
using Edge.Onnx.Passes;
using Edge.Onnx.Proto;
using Google.Protobuf;
using Xunit;

namespace Edge.Onnx.Tests;

/// <summary>The toolkit's passes on small graphs; where a pass rewrites arithmetic, ONNX Runtime on the original graph is the reference.</summary>
public sealed class GraphPassTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edge-onnx-passes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ConstantFoldingEvaluatesTransposeAndBroadcastMul()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 3, 2);
        string wT = g.Op("Transpose", [g.Constant("w", [2, 3], 1, 2, 3, 4, 5, 6)], ("perm", new long[] { 1, 0 }));
        string scaled = g.Op("Mul", [wT, g.Constant("s", [2], 10, 100)]);
        g.Output(g.Op("Add", [x, scaled]));
        var model = g.Build();

        Assert.Equal(2, new ConstantFoldingPass().Apply(model));
        new DeadNodeRemovalPass().Apply(model);

        var add = Assert.Single(model.Graph.Node);
        Assert.Equal("Add", add.OpType);
        var folded = Assert.Single(model.Graph.Initializer);
        Assert.Equal(add.Input[1], folded.Name);
        Assert.Equal([3L, 2L], folded.Dims);
        Assert.Equal([10f, 400, 20, 500, 30, 600], Tensors.ToFloats(folded)); // w^T * [10, 100], by hand
    }

    [Fact]
    public void ConstantFoldingLeavesNonConstantAndUnknownOpsAlone()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 2);
        g.Output(g.Op("Add", [x, g.Op("Exp", [g.Constant("c", [2], 0, 1)])]));
        var model = g.Build();
        Assert.Equal(0, new ConstantFoldingPass().Apply(model));
        Assert.Equal(2, model.Graph.Node.Count);
    }

    [Fact]
    public void DeadNodeRemovalDropsUnusedBranchesInitializersAndValueInfo()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 4);
        string unused = g.Op("Relu", [g.Op("Add", [x, g.Constant("unused", [4], 1, 2, 3, 4)])]);
        g.Declare(unused, -1, 4);
        g.Output(g.Op("Sigmoid", [x]));
        var model = g.Build();
        Assert.Equal(2, new DeadNodeRemovalPass().Apply(model));
        Assert.Equal("Sigmoid", Assert.Single(model.Graph.Node).OpType);
        Assert.Empty(model.Graph.Initializer);
        Assert.Empty(model.Graph.ValueInfo);
    }

    [Fact]
    public void ReshapeChainsCollapseAndSameShapeReshapesVanish()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 4, 6);
        string a = g.Op("Reshape", [x, g.Ints("s1", -1, 24)]);
        string b = g.Op("Reshape", [a, g.Ints("s2", -1, 2, 12)]);
        string c = g.Op("Reshape", [b, g.Ints("s3", -1, 2, 12)]); // declared same shape as its input: a no-op
        g.Declare(a, -1, 24);
        g.Declare(b, -1, 2, 12);
        g.Declare(c, -1, 2, 12);
        g.Output(g.Op("Relu", [c]));
        var model = g.Build();
        new ReshapeChainPass().Apply(model);
        new DeadNodeRemovalPass().Apply(model);
        var reshape = Assert.Single(model.Graph.Node, n => n.OpType == "Reshape");
        Assert.Equal("x", reshape.Input[0]);
        Assert.Equal(reshape.Output[0], model.Graph.Node.Single(n => n.OpType == "Relu").Input[0]);
    }

    [Fact]
    public void BatchNormFoldingMatchesOnnxRuntimeOnTheUnfoldedGraph()
    {
        var g = new TinyGraph(seed: 4);
        string x = g.Input("x", 3, 6, 6);
        string conv = g.Conv(x, 3, 5);
        string bn = g.Op("BatchNormalization", [conv, g.Constant("gamma", [5], 0.5f, 1.5f, -1f, 2f, 0.8f), g.Constant("beta", [5], 0.1f, -0.2f, 0.3f, 0f, 1f),
            g.Constant("mean", [5], 0.2f, -0.1f, 0f, 0.5f, -0.3f), g.Constant("var", [5], 0.5f, 1f, 2f, 0.25f, 1.5f)], ("epsilon", 1e-3f));
        g.Output(g.Op("Relu", [bn]));
        var model = g.Build();
        string before = Save(model, "bn.onnx");

        Assert.Equal(1, new BatchNormFoldingPass().Apply(model));
        new DeadNodeRemovalPass().Apply(model);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "BatchNormalization");
        Assert.Equal(2, model.Graph.Initializer.Count); // the folded weight and bias; the BN parameters and the old weights are gone
        string after = Save(model, "folded.onnx");

        var input = OrtRun.RandomBatch(2, [3, 6, 6], seed: 9);
        var expected = OrtRun.Run(before, input, [2, 3, 6, 6], level: Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL);
        var actual = OrtRun.Run(after, input, [2, 3, 6, 6], level: Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL);
        Assert.True(expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) < 1e-5);
    }

    [Fact]
    public void BatchNormAfterAConvWithASecondReaderIsNotFolded()
    {
        var g = new TinyGraph();
        string x = g.Input("x", 2, 4, 4);
        string conv = g.Conv(x, 2, 2);
        string bn = g.Op("BatchNormalization", [conv, g.Constant("g", [2], 1, 1), g.Constant("b", [2], 0, 0), g.Constant("m", [2], 0, 0), g.Constant("v", [2], 1, 1)]);
        g.Output(g.Op("Add", [bn, conv]));
        var model = g.Build();
        Assert.Equal(0, new BatchNormFoldingPass().Apply(model));
    }

    private string Save(ModelProto model, string name)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }
}
