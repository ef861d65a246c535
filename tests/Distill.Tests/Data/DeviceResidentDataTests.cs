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
    private static readonly float[] Mean = [0.5f, 0.25f, -1f], Std = [0.5f, 2f, 0.125f];

    /// <summary><paramref name="n"/> random raw 3×6×5 images (non-square, several channels, to catch axis mix-ups).</summary>
    private static float[] RawImages(int n)
    {
        var rng = new Random(5);
        var data = new float[n * 3 * 6 * 5];
        for (int i = 0; i < data.Length; i++) data[i] = (float)rng.NextDouble();
        return data;
    }

    /// <summary>The student's normalisation, as the Preprocessor applies it: (x − mean) · (1 / std).</summary>
    private static float[] Normalise(ReadOnlySpan<float> raw)
    {
        var r = new float[raw.Length];
        for (int i = 0; i < raw.Length; i++) { int c = i / 30 % 3; r[i] = (raw[i] - Mean[c]) * (1f / Std[c]); }
        return r;
    }

    [Fact]
    public void DeviceBatchesEqualTheHostAugmentationAndTeacherTargetsExactly()
    {
        const int n = 37, batch = 8, classes = 4;
        var raw = RawImages(n);
        float[] background = [.. Enumerable.Range(0, 3).Select(c => (0f - Mean[c]) * (1f / Std[c]))];
        var cache = new TeacherLogitCache(n, 2, classes);
        var has = new bool[n];
        for (int i = 0; i < n; i++)
        {
            has[i] = i % 3 != 0;
            if (!has[i]) continue;
            cache.Set(i, 0, [i, i + 0.5f, -i, 1]);
            cache.Set(i, 1, [-i, 2, i * 2f, 3]);
        }
        int[] labels = [.. Enumerable.Range(0, n).Select(i => i % 4)];
        int[] source = [.. Enumerable.Range(0, n).Select(i => 1000 + 3 * i)];
        using var data = new DeviceResidentData(Normalise(raw), labels, source, 3, 6, 5, background, flip: true, maxShift: 2, cache, has, flipViews: true, torch.CPU);
        var order = Enumerable.Range(0, n).ToArray();
        new Random(9).Shuffle(order);
        int batches = data.BeginEpoch(order, seed: 4, epoch: 3, batch);
        Assert.Equal(5, batches);
        var host = new FlipTranslate(3, 6, 5, true, 2);
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
                // The host path: augment the raw image (drawn from its dataset index), then normalise.
                var a = host.Draw(SeededRng.SampleSeed(4, 3, source[idx[i]]));
                var augmented = new float[90];
                host.Apply(raw.AsSpan(idx[i] * 90, 90), augmented, a);
                Assert.Equal(Normalise(augmented), x[(i * 90)..((i + 1) * 90)]);
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
            OutputDir = dir, Student = "tinyvit-quick-32", Teachers = [TestPaths.Teacher], Dataset = "fashion-mnist",
            Epochs = 1, BatchSize = 32, TrainSamples = 256, TeacherSamples = 128, TestSamples = 64, AgreementSamples = 32,
            Seed = 3, Plots = false, DataResidence = r, Threads = 1,
            // The device path augments at the student's resolution, so the student takes the images' own 28x28.
            StudentInput = new() { Size = 28 },
        };
        using var host = DistillTrainer.Run(Options(hostDir.Path, DataResidence.Host), IProgressHost.None);
        using var device = DistillTrainer.Run(Options(deviceDir.Path, DataResidence.Device), IProgressHost.None);
        Assert.Equal(host.Epochs[0].TrainLoss, device.Epochs[0].TrainLoss, 5);
        Assert.Equal(host.TestTop1, device.TestTop1, 6);
    }
}
