using Edge.Core.Progress;
using Edge.Distill.Data;
using Edge.Distill.Training;
using Edge.Testing;
using Xunit;

namespace Edge.Distill.Tests.Data;

public class StreamingLoaderTests
{
    [Fact]
    public void StreamedAndInMemoryRunsWithAnyWorkerCountTrainTheSameWeights()
    {
        TestPaths.RequireFashionMnist();
        DistillOptions Options(string dir, DataMemory memory, int workers, int prefetch) => new()
        {
            OutputDir = dir, Student = "tinyvit-quick-32", Teachers = [TestPaths.Teacher], Dataset = "fashion-mnist",
            Epochs = 1, BatchSize = 32, TrainSamples = 160, TeacherSamples = 96, TestSamples = 64, AgreementSamples = 32,
            Seed = 11, Plots = false, Threads = 1, DataMemory = memory, Workers = workers, Prefetch = prefetch,
            Augment = Edge.Distill.Augment.AugmentConfig.Parse("flip,translate=2,rrc=0.5,erase=0.5,mixup=0.8"),
        };
        var runs = new (DataMemory, int, int)[] { (DataMemory.Memory, 1, 1), (DataMemory.Stream, 2, 3), (DataMemory.Stream, 1, 1) };
        var weights = new List<string>();
        var losses = new List<double>();
        foreach (var (memory, workers, prefetch) in runs)
        {
            using var dir = new TempDir();
            using var result = DistillTrainer.Run(Options(dir.Path, memory, workers, prefetch), IProgressHost.None);
            var record = DistillRecord.Read(dir.Path);
            Assert.Equal(memory == DataMemory.Memory ? "memory" : "stream", record.Result!.DataPath);
            weights.Add(record.Result.WeightsSha256);
            losses.Add(result.Epochs[0].TrainLoss);
        }
        Assert.All(weights, w => Assert.Equal(weights[0], w));
        Assert.All(losses, l => Assert.Equal(losses[0], l));
    }

    [Fact]
    public void AutoHoldsTheSplitInMemoryOnlyWhenItFitsTheBudget()
    {
        TestPaths.RequireFashionMnist();
        using var test = Edge.Core.Data.DatasetFactory.Open("fashion-mnist", "test");
        int[] rows = [.. Enumerable.Range(0, 1000)];
        var fits = SampleStore.Open(test, rows, DataMemory.Auto, 1000 * 784, 2, IProgressHost.None, "");
        var over = SampleStore.Open(test, rows, DataMemory.Auto, 1000 * 784 - 1, 2, IProgressHost.None, "");
        Assert.True(fits.InMemory);
        Assert.False(over.InMemory);
        Assert.Equal(1000L * 784, fits.EstimatedBytes);
        Assert.Equal(fits.Image(7).Pixels, over.Image(7).Pixels);
        Assert.Equal(2L << 30, SampleStore.ParseBytes("2g"));
        Assert.Equal(512L << 20, SampleStore.ParseBytes("512m"));
    }

    [Fact]
    public void QueueHandsItemsOverInOrderWhateverTheDepth()
    {
        var seen = BatchQueue.InOrder(Enumerable.Range(0, 50), i => { Thread.Sleep((i * 7) % 5); return i * i; }, depth: 4).ToArray();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * i), seen);
        var e = Assert.Throws<InvalidOperationException>(() => BatchQueue.InOrder(Enumerable.Range(0, 5), i => i == 3 ? throw new InvalidOperationException("bad 3") : i, 2).ToArray());
        Assert.Equal("bad 3", e.Message);
    }
}
