using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Tests.Imaging;
using Edge.Testing;
using SkiaSharp;
using Xunit;

namespace Edge.Core.Tests.Data;

public class ImageFolderDatasetTests
{
    [Fact]
    public void ClassesAreSortedSubfoldersAndSplitsAreHonoured()
    {
        using var dir = new TempDir();
        foreach (var (split, cls, n) in new[] { ("train", "dog", 2), ("train", "cat", 1), ("test", "cat", 1), ("test", "dog", 1) })
        {
            Directory.CreateDirectory(Path.Combine(dir.Path, split, cls));
            for (int i = 0; i < n; i++)
                File.WriteAllBytes(Path.Combine(dir.Path, split, cls, $"{i}.png"), ImageDecoderTests.Encode(SKEncodedImageFormat.Png));
        }
        File.WriteAllText(Path.Combine(dir.Path, "train", "dog", "notes.txt"), "not an image");
        using var train = DatasetFactory.Open(dir.Path, "train");
        Assert.Equal(new[] { "cat", "dog" }, train.ClassNames);
        Assert.Equal(3, train.Count);
        Assert.Equal(0, train.GetLabel(0));
        Assert.Equal(1, train.GetLabel(2));
        Assert.Equal(3, train.GetImage(1).Channels);
        using var test = DatasetFactory.Open(dir.Path, "test");
        Assert.Equal(2, test.Count);
        Assert.Equal(3, test.GetImage(0).Channels);
    }

    [Fact]
    public void FolderWithoutImagesIsEmptyDatasetError()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "a"));
        var e = Assert.Throws<EdgeException>(() => DatasetFactory.Open(dir.Path, "train"));
        Assert.Contains($"{Path.Combine(dir.Path, "a")} holds no images", e.Message);
    }

    [Fact]
    public void CorruptImageNamesTheFile()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "a"));
        File.WriteAllBytes(Path.Combine(dir.Path, "a", "broken.jpg"), [0xFF, 0xD8, 0xFF, 0x00, 0x01]);
        using var ds = DatasetFactory.Open(dir.Path, "train");
        var e = Assert.Throws<EdgeException>(() => ds.GetImage(0));
        Assert.Contains("broken.jpg", e.Message);
    }
}
