using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Imaging;
using Edge.Core.Tests.Imaging;
using Edge.Testing;
using SkiaSharp;
using Xunit;

namespace Edge.Core.Tests.Data;

public class DatasetSourceTests
{
    private static void Images(string dir, string cls, int n)
    {
        Directory.CreateDirectory(Path.Combine(dir, cls));
        for (int i = 0; i < n; i++)
            File.WriteAllBytes(Path.Combine(dir, cls, $"{i:D3}.png"), ImageDecoderTests.Encode(SKEncodedImageFormat.Png));
    }

    [Fact]
    public void HoldoutIsStratifiedSeededAndDisjoint()
    {
        using var dir = new TempDir();
        Images(dir.Path, "a", 20);
        Images(dir.Path, "b", 10);
        var source = new DatasetSource { Path = dir.Path, HoldoutFraction = 0.2, SplitSeed = 7 };
        using var train = source.Open("train");
        using var test = source.Open("test");
        Assert.Equal(24, train.Count);
        Assert.Equal(6, test.Count);
        // Per class: round(0.2 · 20) = 4 of a and round(0.2 · 10) = 2 of b are held out.
        Assert.Equal(4, Enumerable.Range(0, test.Count).Count(i => test.GetLabel(i) == 0));
        Assert.Equal(2, Enumerable.Range(0, test.Count).Count(i => test.GetLabel(i) == 1));
        var trainIdx = ((DatasetSubset)train).Indices;
        var testIdx = ((DatasetSubset)test).Indices;
        Assert.Empty(trainIdx.Intersect(testIdx));
        Assert.Equal(30, trainIdx.Union(testIdx).Count());
        // Same seed, same split; another seed, another one.
        using var again = source.Open("test");
        Assert.Equal(testIdx, ((DatasetSubset)again).Indices);
        using var other = (source with { SplitSeed = 8 }).Open("test");
        Assert.NotEqual(testIdx, ((DatasetSubset)other).Indices);
    }

    [Fact]
    public void ImageNetLayoutServesTestFromValAndMissingSplitsAreNamed()
    {
        using var dir = new TempDir();
        Images(Path.Combine(dir.Path, "train"), "cat", 2);
        Images(Path.Combine(dir.Path, "val"), "cat", 1);
        using var test = DatasetFactory.Open(dir.Path, "test");
        Assert.Equal(1, test.Count);
        Assert.Contains("val", ((ImageFolderDataset)test).Root);
        using var only = new TempDir();
        Images(Path.Combine(only.Path, "train"), "cat", 2);
        var e = Assert.Throws<EdgeException>(() => DatasetFactory.Open(only.Path, "test"));
        Assert.Contains("test/", e.Message);
    }

    [Fact]
    public void LabelsFileMapsFolderNamesToTheModelsLabels()
    {
        using var dir = new TempDir();
        Images(dir.Path, "tshirt", 1);
        Images(dir.Path, "trouser", 1);
        File.WriteAllText(dir.File("labels.map"), "# folder=label\ntshirt=T-shirt/top\ntrouser=Trouser\n");
        using var ds = new DatasetSource { Path = dir.Path, Labels = dir.File("labels.map") }.Open("train");
        Assert.Equal(new[] { "Trouser", "T-shirt/top" }, ds.ClassNames); // folders sorted: trouser < tshirt
        File.WriteAllText(dir.File("short.map"), "tshirt=T-shirt/top\n");
        var e = Assert.Throws<EdgeException>(() => new DatasetSource { Path = dir.Path, Labels = dir.File("short.map") }.Open("train"));
        Assert.Contains("'trouser'", e.Message);
        Assert.Contains("short.map", e.Message);
        File.WriteAllText(dir.File("extra.map"), "tshirt=T-shirt/top\ntrouser=Trouser\nbag=Bag\n");
        e = Assert.Throws<EdgeException>(() => new DatasetSource { Path = dir.Path, Labels = dir.File("extra.map") }.Open("train"));
        Assert.Contains("bag", e.Message);
    }

    [Fact]
    public void IdxLabelsComeFromTheSourceOrTheFolderNeverFromItsName()
    {
        using var dir = new TempDir();
        string folder = Path.Combine(dir.Path, "my-fashion-copy");
        Directory.CreateDirectory(folder);
        IdxDatasetTests.WriteSet(folder, "t10k", 20, gzip: false);
        using (var plain = DatasetFactory.Open(folder, "test"))
            Assert.Equal(Enumerable.Range(0, 10).Select(i => i.ToString()), plain.ClassNames);
        using (var listed = new DatasetSource { Path = folder, Labels = string.Join(",", Enumerable.Range(0, 10).Select(i => $"k{i}")) }.Open("test"))
            Assert.Equal("k3", listed.ClassNames[3]);
        File.WriteAllLines(Path.Combine(folder, "labels.txt"), Enumerable.Range(0, 10).Select(i => $"L{i}"));
        using (var local = DatasetFactory.Open(folder, "test"))
            Assert.Equal("L9", local.ClassNames[9]);
        var e = Assert.Throws<EdgeException>(() => new DatasetSource { Path = folder, Labels = "a,b,c" }.Open("test"));
        Assert.Contains("class 9", e.Message);
        Assert.Contains("--labels", e.Message);
    }

    [Fact]
    public void BuiltInFashionMnistIsTheOnlyNameWithLabels()
    {
        Assert.Equal("T-shirt/top", BuiltInDatasets.FashionMnist.Labels[0]);
        Assert.NotNull(BuiltInDatasets.Find("fashion-mnist"));
        Assert.Null(BuiltInDatasets.Find("fashion-mnist-copy"));
    }

    [Fact]
    public void EmptyClassFolderIsRejectedNamingIt()
    {
        using var dir = new TempDir();
        Images(dir.Path, "a", 1);
        Directory.CreateDirectory(Path.Combine(dir.Path, "b"));
        var e = Assert.Throws<EdgeException>(() => DatasetFactory.Open(dir.Path, "train"));
        Assert.Contains(Path.Combine(dir.Path, "b"), e.Message);
        Assert.Contains("holds no images", e.Message);
    }
}
