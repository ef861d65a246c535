using Edge.Core.Progress;
using Edge.Distill.Augment;
using Edge.Distill.Cache;
using Edge.Distill.Data;
using Edge.Distill.Training;
using Edge.Testing;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Data;

public class DeviceResidentDataTests
{
    /// <summary>A fake split: <paramref name="n"/> random 3×6×5 images (non-square, several channels, to catch axis mix-ups).</summary>
    private static InMemorySplit Split(int n, out float[] data)
    {
        var rng = new Random(5);
        data = new float[n * 3 * 6 * 5];
        for (int i = 0; i < data.Length; i++) data[i] = (float)rng.NextDouble();
        var split = typeof(InMemorySplit).GetConstructors(System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)[0]
            .Invoke([data, Enumerable.Range(0, n).Select(i => i % 4).ToArray(), Enumerable.Range(0, n).ToArray(), 3 * 6 * 5, "fake"]);
        return (InMemorySplit)split;
    }

    [Fact]
    public void DeviceBatchesEqualTheHostAugmentationAndTeacherTargetsExactly()
    {
        const int n = 37, batch = 8, classes = 4;
        var train = Split(n, out _);
        float[] background = [-1.5f, 0.25f, 7f];
        var cache = new TeacherLogitCache(n, 2, classes);
        var has = new bool[n];
        for (int i = 0; i < n; i++)
        {
            has[i] = i % 3 != 0;
            if (!has[i]) continue;
            cache.Set(i, 0, [i, i + 0.5f, -i, 1]);
            cache.Set(i, 1, [-i, 2, i * 2f, 3]);
        }
        using var data = new DeviceResidentData(train, 3, 6, 5, background, flip: true, maxShift: 2, cache, has, flipViews: true, torch.CPU);
        var order = Enumerable.Range(0, n).ToArray();
        new Random(9).Shuffle(order);
        int batches = data.BeginEpoch(order, seed: 4, epoch: 3, batch);
        Assert.Equal(5, batches);
        var host = new FlipTranslate(3, 6, 5, background, true, 2);
        for (int b = 0; b < batches; b++)
        {
            using var scope = torch.NewDisposeScope();
            var db = data.Batch(b);
            var idx = order[(b * batch)..Math.Min(n, (b + 1) * batch)];
            Assert.Equal(idx.Length, db.Count);
            var x = db.Inputs.data<float>().ToArray();
            var expectedRows = new List<int>();
            var expectedLogits = new List<float>();
            for (int i = 0; i < idx.Length; i++)
            {
                var a = host.Draw(SeededRng.SampleSeed(4, 3, idx[i]));
                var want = new float[90];
                host.Apply(train.Sample(idx[i]), want, a);
                Assert.Equal(want, x[(i * 90)..((i + 1) * 90)]);
                Assert.Equal(idx[i] % 4, db.Labels[i].item<long>());
                if (has[idx[i]]) { expectedRows.Add(i); expectedLogits.AddRange(cache.Get(idx[i], a.Flip ? 1 : 0).ToArray()); }
            }
            if (expectedRows.Count == 0) { Assert.Null(db.TeacherLogits); continue; }
            Assert.Equal(expectedLogits.ToArray(), db.TeacherLogits!.data<float>().ToArray());
            if (expectedRows.Count == idx.Length) Assert.Null(db.TeacherRows);
            else Assert.Equal(expectedRows.Select(r => (long)r).ToArray(), db.TeacherRows!.data<long>().ToArray());
        }
    }

    [Fact]
    public void TrainingOnTheDevicePathGivesTheHostPathsLoss()
    {
        TestPaths.RequireFashionMnist();
        using var hostDir = new TempDir();
        using var deviceDir = new TempDir();
        DistillOptions Options(string dir, DataResidence r) => new()
        {
            OutputDir = dir, Student = "tinyvit-quick-32", Teachers = [TestPaths.Teacher], Dataset = TestPaths.FashionMnist,
            Epochs = 1, BatchSize = 32, TrainSamples = 256, TeacherSamples = 128, TestSamples = 64, AgreementSamples = 32,
            Seed = 3, Plots = false, DataResidence = r, Threads = 1,
        };
        using var host = DistillTrainer.Run(Options(hostDir.Path, DataResidence.Host), IProgressHost.None);
        using var device = DistillTrainer.Run(Options(deviceDir.Path, DataResidence.Device), IProgressHost.None);
        Assert.Equal(host.Epochs[0].TrainLoss, device.Epochs[0].TrainLoss, 5);
        Assert.Equal(host.TestTop1, device.TestTop1, 6);
    }
}
