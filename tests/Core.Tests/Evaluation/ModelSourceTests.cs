using Edge.Core.Evaluation;
using Edge.Core.Preprocessing;
using Xunit;

namespace Edge.Core.Tests.Evaluation;

public class ModelSourceTests
{
    [Fact]
    public void ParsesLocationNameAndManifest()
    {
        var s = ModelSource.Parse("out/student-int8,name=int8,manifest=out/m.json");
        Assert.Equal("out/student-int8", s.Location);
        Assert.Equal("int8", s.DisplayName());
        Assert.Equal("out/m.json", s.ManifestPath);
        Assert.False(s.IsRemote);
        var remote = ModelSource.Parse("grpc://localhost:8001/student/2");
        Assert.True(remote.IsRemote);
        Assert.Equal("student@2", remote.DisplayName());
        Assert.Equal("model", ModelSource.Parse("/tmp/x/model.onnx").DisplayName());
        Assert.Throws<EdgeException>(() => ModelSource.Parse("a.onnx,colour=red"));
    }

    [Fact]
    public void LogitCacheReturnsOnlyFullyCachedSubsets()
    {
        var cache = new LogitCache();
        string key = LogitCache.Key("abc", PreprocessSpec.FashionMnist32, "set");
        cache.Put(key, 5, [1, 3], 2, [1, 2, 3, 4]);
        Assert.Equal([3f, 4f, 1f, 2f], cache.TryGet(key, [3, 1], 2)!);
        Assert.Null(cache.TryGet(key, [1, 2], 2));
        Assert.Null(cache.TryGet(LogitCache.Key("abd", PreprocessSpec.FashionMnist32, "set"), [1], 2));
        Assert.NotEqual(key, LogitCache.Key("abc", PreprocessSpec.FashionMnist32 with { Mean = [0.5f] }, "set"));
    }

    [Fact]
    public void LogitCachePersistsInItsDirectory()
    {
        using var dir = new Edge.Testing.TempDir();
        string key = LogitCache.Key("abc", PreprocessSpec.FashionMnist32, "set");
        new LogitCache(dir.Path).Put(key, 4, [0, 2], 3, [1, 2, 3, 4, 5, 6]);
        Assert.Equal([4f, 5f, 6f], new LogitCache(dir.Path).TryGet(key, [2], 3)!);
    }
}
