using System.IO.Compression;
using Edge.Core;
using Edge.Core.Data;
using Edge.Testing;
using Xunit;

namespace Edge.Core.Tests.Data;

public class IdxDatasetTests
{
    internal static byte[] Idx(int magic, int[] dims, byte[] data)
    {
        var ms = new MemoryStream();
        void Int(int v) { ms.WriteByte((byte)(v >> 24)); ms.WriteByte((byte)(v >> 16)); ms.WriteByte((byte)(v >> 8)); ms.WriteByte((byte)v); }
        Int(magic);
        foreach (var d in dims) Int(d);
        ms.Write(data);
        return ms.ToArray();
    }

    internal static void WriteSet(string dir, string prefix, int n, bool gzip, int h = 4, int w = 3)
    {
        var images = new byte[n * h * w];
        for (int i = 0; i < images.Length; i++) images[i] = (byte)(i % 251);
        var labels = Enumerable.Range(0, n).Select(i => (byte)(i % 10)).ToArray();
        Write(Path.Combine(dir, $"{prefix}-images-idx3-ubyte"), Idx(0x803, [n, h, w], images), gzip);
        Write(Path.Combine(dir, $"{prefix}-labels-idx1-ubyte"), Idx(0x801, [n], labels), gzip);
    }

    private static void Write(string path, byte[] bytes, bool gzip)
    {
        if (!gzip) { File.WriteAllBytes(path, bytes); return; }
        using var gz = new GZipStream(File.Create(path + ".gz"), CompressionLevel.Fastest);
        gz.Write(bytes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsRawAndGzippedIdx(bool gzip)
    {
        using var dir = new TempDir();
        Environment.SetEnvironmentVariable("EDGE_CACHE", dir.File("cache"));
        WriteSet(dir.Path, "t10k", 5, gzip);
        using var ds = DatasetFactory.Open(dir.Path, "test");
        Assert.Equal(5, ds.Count);
        var img = ds.GetImage(2);
        Assert.Equal((4, 3, 1), (img.Height, img.Width, img.Channels));
        Assert.Equal((byte)(24 % 251), img.Pixels[0]);
        Assert.Equal(2, ds.GetLabel(2));
    }

    [Fact]
    public void WrongMagicIsNamed()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte"), Idx(0x801, [1, 2, 2], new byte[4]));
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), Idx(0x801, [1], new byte[1]));
        var e = Assert.Throws<EdgeException>(() => DatasetFactory.Open(dir.Path, "train"));
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void TruncatedImagesAreNamed()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte"), Idx(0x803, [10, 4, 4], new byte[50]));
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), Idx(0x801, [10], new byte[10]));
        var e = Assert.Throws<EdgeException>(() => DatasetFactory.Open(dir.Path, "train"));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void CountMismatchIsNamed()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte"), Idx(0x803, [2, 1, 1], new byte[2]));
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), Idx(0x801, [3], new byte[3]));
        var e = Assert.Throws<EdgeException>(() => DatasetFactory.Open(dir.Path, "train"));
        Assert.Contains("3 labels", e.Message);
    }

    [Fact]
    public void EmptyDatasetIsAnError()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte"), Idx(0x803, [0, 28, 28], []));
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), Idx(0x801, [0], []));
        var e = Assert.Throws<EdgeException>(() => DatasetFactory.Open(dir.Path, "train"));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void CorruptGzipIsNamed()
    {
        using var dir = new TempDir();
        Environment.SetEnvironmentVariable("EDGE_CACHE", dir.File("cache"));
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte.gz"), [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]);
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte"), Idx(0x801, [1], new byte[1]));
        var e = Assert.Throws<EdgeException>(() => DatasetFactory.Open(dir.Path, "train"));
        Assert.Contains("gzip", e.Message);
    }

    [Fact]
    public void MissingDatasetNamesTheFix()
    {
        var e = Assert.Throws<EdgeException>(() => DatasetFactory.Open("/nonexistent/edge-data", "train"));
        Assert.Contains("dataset not found", e.Message);
    }

    [Fact]
    public void FashionMnistTestSetHasTenThousandLabelledImages()
    {
        TestPaths.RequireFashionMnist();
        using var ds = DatasetFactory.Open("fashion-mnist", "test");
        Assert.Equal(10_000, ds.Count);
        Assert.Equal(10, ds.ClassNames.Count);
        Assert.Equal("Ankle boot", ds.ClassNames[ds.GetLabel(0)]);
    }
}
