using Edge.Core.IO;
using Edge.Testing;
using Xunit;

namespace Edge.Core.Tests.IO;

public class AtomicFileTests
{
    [Fact]
    public void FailedWriteKeepsThePreviousFileAndLeavesNoTemp()
    {
        using var dir = new TempDir();
        string path = dir.File("artifact.bin");
        File.WriteAllText(path, "previous");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100]);
            throw new InvalidOperationException("crash mid-write");
        }));
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void CompletedWriteReplacesTheFile()
    {
        using var dir = new TempDir();
        string path = dir.File("a/b/artifact.txt");
        AtomicFile.WriteAllText(path, "one");
        AtomicFile.WriteAllText(path, "two");
        Assert.Equal("two", File.ReadAllText(path));
    }
}
