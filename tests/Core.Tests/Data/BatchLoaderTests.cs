using Edge.Core.Data;
using Edge.Core.Preprocessing;
using Edge.Testing;
using Xunit;

namespace Edge.Core.Tests.Data;

public class BatchLoaderTests
{
    [Fact]
    public void BatchesCoverTheOrderAndMatchSingleImagePreprocessing()
    {
        TestPaths.RequireFashionMnist();
        using var ds = DatasetFactory.Open("fashion-mnist", "test");
        var pre = new Preprocessor(PreprocessSpec.FashionMnist32);
        var loader = new BatchLoader(ds, pre);
        int[] order = [5, 3, 9, 1, 0, 7, 2];
        var batches = loader.Batches(3, order).ToList();
        Assert.Equal(new[] { 3, 3, 1 }, batches.Select(b => b.Count));
        Assert.Equal(order, batches.SelectMany(b => b.Indices));
        var b0 = batches[0];
        Assert.Equal(pre.Run(ds.GetImage(5)), b0.Data.AsSpan(0, b0.SampleLength).ToArray());
        Assert.Equal(ds.GetLabel(3), b0.Labels[1]);
    }
}
