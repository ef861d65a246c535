using Edge.Core;
using Edge.Core.Progress;
using Edge.Distill.Augment;
using Edge.Distill.Cache;
using Edge.Distill.Training;
using Edge.Testing;
using Xunit;

namespace Edge.Distill.Tests.Cache;

public class FpdCacheTests
{
    private static FpdCacheHeader Header(int samples = 5, int shards = 1, int epochs = 1) => new()
    {
        Teacher = "t.onnx", TeacherSha256 = "ab", Dataset = "d", Preprocess = "p", Augment = "flip", Seed = 3, Epochs = epochs,
        TopK = 3, Classes = 10, Samples = samples, SamplesSha256 = FpdCacheHeader.HashIndices([.. Enumerable.Range(0, samples).Select(i => i * 2)]), Shards = shards,
    };

    private static FpdShardFile Shard(FpdCacheHeader h, int epoch, int shard)
    {
        var (start, end) = FpdCacheHeader.ShardRange(h.Samples, shard, h.Shards);
        int n = end - start, k = h.TopK;
        return new FpdShardFile
        {
            Header = h, Epoch = epoch, Shard = shard,
            Indices = [.. Enumerable.Range(start, n).Select(i => i * 2)],
            Seeds = [.. Enumerable.Range(start, n).Select(i => i * 1000 + epoch)],
            Ids = [.. Enumerable.Range(0, n * k).Select(i => (short)((i + epoch) % 10))],
            Probs = [.. Enumerable.Range(0, n * k).Select(i => (Half)(0.3 - 0.1 * (i % k)))],
        };
    }

    [Fact]
    public void RecordsRoundTripAndMissingClassesShareTheRest()
    {
        using var dir = new TempDir();
        var h = Header();
        var written = Shard(h, 1, 0);
        string path = dir.File(FpdShardFile.FileName(1, 0, 1));
        written.Write(path);
        var read = FpdShardFile.Read(path);
        Assert.Equal(h, read.Header);
        Assert.Equal(written.Indices, read.Indices);
        Assert.Equal(written.Seeds, read.Seeds);
        Assert.Equal(written.Ids, read.Ids);
        Assert.Equal(written.Probs, read.Probs);

        var cache = FpdCache.Open(dir.Path);
        Assert.Equal(2001, cache.Seed(1, 4));
        Assert.Equal(2001, cache.Seed(cache.CacheEpoch(2), 4)); // training past the cache cycles
        var dense = new float[10];
        cache.Dense(1, 0, dense);
        float top = (float)(Half)0.3 + (float)(Half)0.2 + (float)(Half)0.1;
        Assert.Equal((float)(Half)0.3, dense[1]);
        Assert.Equal((1 - top) / 7, dense[9], 6);
        Assert.Equal(1f, dense.Sum(), 5);
        Assert.Contains("#1", Assert.Throws<EdgeException>(() => cache.Seed(1, 1)).Message);
    }

    [Fact]
    public void TruncatedOrCorruptFilesAreRejectedNamingTheFile()
    {
        using var dir = new TempDir();
        string path = dir.File(FpdShardFile.FileName(1, 0, 1));
        Shard(Header(), 1, 0).Write(path);
        var good = File.ReadAllBytes(path);

        File.WriteAllBytes(path, good[..^7]);
        var e = Assert.Throws<EdgeException>(() => FpdCache.Open(dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);

        File.WriteAllBytes(path, good[..10]);
        Assert.Contains("truncated", Assert.Throws<EdgeException>(() => FpdShardFile.Read(path)).Message);

        var flipped = (byte[])good.Clone();
        flipped[^40] ^= 0x10;
        File.WriteAllBytes(path, flipped);
        e = Assert.Throws<EdgeException>(() => FpdShardFile.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("checksum", e.Message);

        File.WriteAllBytes(path, [.. good, 1, 2]);
        Assert.Contains("trailing", Assert.Throws<EdgeException>(() => FpdShardFile.Read(path)).Message);
        File.WriteAllBytes(path, "not a cache"u8.ToArray());
        Assert.Contains("bad magic", Assert.Throws<EdgeException>(() => FpdShardFile.Read(path)).Message);
    }

    [Fact]
    public void ShardsMergeOnReadAndMissingOrForeignShardsAreRefused()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var merged = new TempDir();
        var h = Header(samples: 7, shards: 3, epochs: 2);
        foreach (var e in new[] { 1, 2 })
        {
            Shard(h, e, 0).Write(Path.Combine(a.Path, FpdShardFile.FileName(e, 0, 3)));
            Shard(h, e, 1).Write(Path.Combine(b.Path, FpdShardFile.FileName(e, 1, 3)));
        }
        var missing = Assert.Throws<EdgeException>(() => FpdCache.Open([a.Path, b.Path]));
        Assert.Contains("missing", missing.Message);
        Assert.Contains("epoch-001.shard-2of3.fpd", missing.Message);
        Assert.Equal(2, FpdCache.Open([a.Path, b.Path], requireComplete: false).PresentEpochs.Count);

        // A shard made with another seed does not belong.
        string foreign = Path.Combine(b.Path, FpdShardFile.FileName(1, 2, 3));
        Shard(h with { Seed = 4 }, 1, 2).Write(foreign);
        var e2 = Assert.Throws<EdgeException>(() => FpdCache.Open([a.Path, b.Path]));
        Assert.Contains("seed 3 vs 4", e2.Message);
        Assert.Contains(foreign, e2.Message);

        foreach (var e in new[] { 1, 2 }) Shard(h, e, 2).Write(Path.Combine(b.Path, FpdShardFile.FileName(e, 2, 3)));
        var cache = FpdCache.Merge([a.Path, b.Path], merged.Path);
        Assert.Equal(7, cache.Indices(2).Length);
        Assert.Equal(new[] { "epoch-001.fpd", "epoch-002.fpd" }, Directory.GetFiles(merged.Path).Select(Path.GetFileName).Order());
        var reopened = FpdCache.Open(merged.Path);
        Assert.Equal(1, reopened.Header.Shards);
        Assert.Equal(6002, reopened.Seed(2, 12));
    }

    // ---- with the real teacher and Fashion-MNIST ----

    private static FpdCacheOptions Options(string dir) => new()
    {
        OutputDir = dir,
        Teachers = [TestPaths.Teacher],
        Dataset = "fashion-mnist",
        Augment = AugmentConfig.Parse("flip,translate=3,rrc=0.6,jitter=0.2,randaug=2x9,erase=0.25"),
        Seed = 7,
        Epochs = 2,
        TopK = 5,
        TrainSamples = 96,
        BatchSize = 40,
    };

    [Fact]
    public void ShardedGenerationMergesToTheSingleRunAndReplaysTheTeacher()
    {
        TestPaths.RequireFashionMnist();
        using var single = new TempDir();
        using var s0 = new TempDir();
        using var s1 = new TempDir();
        using var merged = new TempDir();
        var report = FpdCacheBuilder.Generate(Options(single.Path), IProgressHost.None);
        Assert.Equal(2, report.Written);
        Assert.Equal(192, report.Records);
        Assert.Equal(2, FpdCacheBuilder.Generate(Options(single.Path), IProgressHost.None).Skipped); // a rerun keeps what is there
        FpdCacheBuilder.Generate(Options(s0.Path) with { ShardIndex = 0, ShardCount = 2 }, IProgressHost.None);
        FpdCacheBuilder.Generate(Options(s1.Path) with { ShardIndex = 1, ShardCount = 2, BatchSize = 17 }, IProgressHost.None);
        FpdCache.Merge([s0.Path, s1.Path], merged.Path);
        foreach (var name in new[] { "epoch-001.fpd", "epoch-002.fpd" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(single.Path, name)), File.ReadAllBytes(Path.Combine(merged.Path, name)));

        var cache = FpdCache.Open(single.Path);
        Assert.NotEqual(cache.Seed(1, cache.Indices(1)[0]), cache.Seed(2, cache.Indices(1)[0]));
        var check = FpdCacheCheck.Run(Options(single.Path), cache, 24);
        Assert.Equal(24, check.Samples);
        Assert.True(check.Passed, $"max error {check.MaxAbsError}, top-1 mismatches {check.Top1Mismatches}");
        Assert.InRange(check.MaxAbsError, 0, 1e-3);

        // A cache made with another augmentation does not replay the teacher: the check sees it.
        using var other = new TempDir();
        FpdCacheBuilder.Generate(Options(other.Path) with { Augment = AugmentConfig.Parse("rrc=0.3,randaug=3x10"), Epochs = 1 }, IProgressHost.None);
        var file = Path.Combine(other.Path, "epoch-001.fpd");
        var shard = FpdShardFile.Read(file);
        new FpdShardFile { Header = shard.Header with { Augment = "none" }, Epoch = 1, Shard = 0, Indices = shard.Indices, Seeds = shard.Seeds, Ids = shard.Ids, Probs = shard.Probs }.Write(file);
        var bad = FpdCacheCheck.Run(Options(other.Path), FpdCache.Open(other.Path), 48);
        Assert.False(bad.Passed);
    }

    [Fact]
    public void TrainingFromTheCacheRunsWithoutTheTeacherOnTrainingImages()
    {
        TestPaths.RequireFashionMnist();
        using var cacheDir = new TempDir();
        using var run = new TempDir();
        using var mixed = new TempDir();
        FpdCacheBuilder.Generate(Options(cacheDir.Path) with { Epochs = 1 }, IProgressHost.None);
        var o = new DistillOptions
        {
            OutputDir = run.Path, Teachers = [TestPaths.Teacher], Dataset = "fashion-mnist", Epochs = 2, BatchSize = 32,
            TrainSamples = 96, TestSamples = 64, AgreementSamples = 32, Seed = 7, Plots = false,
            Loss = LossWeightList("sparse-kd=1,ce=0.5"), TeacherCache = cacheDir.Path,
        };
        using (var result = DistillTrainer.Run(o, IProgressHost.None))
        {
            Assert.Equal(2, result.Epochs.Count);
            Assert.All(result.Epochs, m => Assert.True(double.IsFinite(m.TrainLoss) && m.TrainLoss > 0));
            Assert.False(File.Exists(Path.Combine(run.Path, "teacher-train.cache")));
        }
        using (var result = DistillTrainer.Run(o with { OutputDir = mixed.Path, Augment = AugmentConfig.Parse("mixup=0.8,cutmix=1.0"), Loss = LossWeightList("kd=1,ce=0.5") }, IProgressHost.None))
            Assert.True(double.IsFinite(result.Epochs[0].TrainLoss));

        var e = Assert.Throws<EdgeException>(() => DistillTrainer.Run(o with { OutputDir = mixed.Path, TrainSamples = 200 }, IProgressHost.None));
        Assert.Contains("no record for training image", e.Message);
        e = Assert.Throws<EdgeException>(() => DistillTrainer.Run(o with { OutputDir = mixed.Path, Augment = AugmentConfig.Parse("flip") }, IProgressHost.None));
        Assert.Contains("differs from the augmentation recorded", e.Message);
    }

    private static IReadOnlyList<Edge.Distill.Losses.LossWeight> LossWeightList(string text) => Edge.Distill.Losses.LossWeight.ParseList(text);
}
