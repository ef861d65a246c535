using Edge.Distill.Cache;
using Edge.Testing;
using Xunit;

namespace Edge.Distill.Tests.Cache;

public class TeacherLogitCacheTests
{
    [Fact]
    public void RoundTripsAndRejectsAnotherKey()
    {
        using var dir = new TempDir();
        var cache = new TeacherLogitCache(3, 2, 4);
        cache.Set(1, 1, [1, 2, 3, 4]);
        cache.Save(dir.File("c.bin"), "key");
        var back = TeacherLogitCache.TryLoad(dir.File("c.bin"), "key", 3, 2, 4)!;
        Assert.True(back.Has(1, 1));
        Assert.False(back.Has(1, 0));
        Assert.Equal([1f, 2, 3, 4], back.Get(1, 1).ToArray());
        Assert.Null(TeacherLogitCache.TryLoad(dir.File("c.bin"), "other", 3, 2, 4));
        Assert.Null(TeacherLogitCache.TryLoad(dir.File("c.bin"), "key", 4, 2, 4));
        Assert.Null(TeacherLogitCache.TryLoad(dir.File("missing.bin"), "key", 3, 2, 4));
    }
}
