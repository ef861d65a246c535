using Edge.Core;
using Edge.Core.Progress;
using Edge.Distill.Losses;
using Edge.Distill.Training;
using Edge.Testing;
using Xunit;

namespace Edge.Distill.Tests.Training;

public class DistillTrainerTests
{
    private static DistillOptions Tiny(string dir) => new()
    {
        OutputDir = dir,
        Student = "tinyvit-quick-32",
        Teachers = [TestPaths.Teacher],
        Dataset = "fashion-mnist",
        Epochs = 2,
        BatchSize = 64,
        TrainSamples = 256,
        TestSamples = 128,
        AgreementSamples = 64,
        Seed = 7,
        Plots = true,
    };

    [Fact]
    public void TinyRunWritesEveryArtifactAndResumeMatchesAnUninterruptedRun()
    {
        TestPaths.RequireFashionMnist();
        using var full = new TempDir();
        using var killed = new TempDir();

        using var reference = DistillTrainer.Run(Tiny(full.Path), IProgressHost.None);
        Assert.Equal(2, reference.Epochs.Count);
        foreach (var f in new[] { "checkpoint.bin", "metrics.jsonl", "student.weights", "student.json", "run.json", "loss.png", "accuracy.png", "agreement.png" })
            Assert.True(File.Exists(Path.Combine(full.Path, f)), f);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(full.Path, "metrics.jsonl")).Length);
        Assert.Equal("1.0*kd + 0.5*ce", reference.Loss);

        // Kill the second run as its second epoch starts: the first epoch's checkpoint survives.
        using var cancel = new CancellationTokenSource();
        var host = new CancelOnTitle("epoch 2/", cancel);
        Assert.ThrowsAny<OperationCanceledException>(() => DistillTrainer.Run(Tiny(killed.Path), host, cancel.Token));
        Assert.Equal(1, Checkpoint.ReadState(Path.Combine(killed.Path, "checkpoint.bin")).Epoch);

        using var resumed = DistillTrainer.Run(Tiny(killed.Path) with { Resume = true }, IProgressHost.None);
        Assert.Equal(2, resumed.Epochs.Count);
        for (int e = 0; e < 2; e++)
        {
            Assert.Equal(reference.Epochs[e].TrainLoss, resumed.Epochs[e].TrainLoss, 4);
            Assert.Equal(reference.Epochs[e].TestTop1, resumed.Epochs[e].TestTop1, 3);
        }
    }

    [Fact]
    public void Bf16ResumeContinuesFromTheFloat32Masters()
    {
        // A bf16 run's optimizer updates float32 masters; resuming from the bf16-rounded model weights instead
        // (what the checkpoint held before) changed the second epoch's loss in the 3rd-4th digit.
        TestPaths.RequireFashionMnist();
        using var full = new TempDir();
        using var killed = new TempDir();
        var options = Tiny(full.Path) with { Precision = TrainingPrecision.Bf16, Plots = false };
        using var reference = DistillTrainer.Run(options, IProgressHost.None);

        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            DistillTrainer.Run(options with { OutputDir = killed.Path }, new CancelOnTitle("epoch 2/", cancel), cancel.Token));
        using var resumed = DistillTrainer.Run(options with { OutputDir = killed.Path, Resume = true }, IProgressHost.None);
        Assert.Equal(reference.Epochs[1].TrainLoss, resumed.Epochs[1].TrainLoss, 6);
        Assert.Equal(reference.Epochs[1].TestTop1, resumed.Epochs[1].TestTop1, 6);
    }

    [Fact]
    public void ResumeWithOtherSettingsIsRefused()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        using (DistillTrainer.Run(Tiny(dir.Path) with { Epochs = 1, TrainSamples = 64, TestSamples = 64, AgreementSamples = 16, Plots = false }, IProgressHost.None)) { }
        var e = Assert.Throws<EdgeException>(() => DistillTrainer.Run(
            Tiny(dir.Path) with { Epochs = 1, TrainSamples = 64, TestSamples = 64, AgreementSamples = 16, Plots = false, Resume = true, LearningRate = 1e-4 },
            IProgressHost.None));
        Assert.Contains("other settings", e.Message);
    }

    [Fact]
    public void MissingTeacherNamesTheFile()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<EdgeException>(() => DistillTrainer.Run(Tiny(dir.Path) with { Teachers = ["/nonexistent/t.onnx"] }, IProgressHost.None));
        Assert.Contains("/nonexistent/t.onnx", e.Message);
    }

    [Fact]
    public void TeacherManifestContradictingItsModelNamesBothShapes()
    {
        using var dir = new TempDir();
        var package = TinyOnnx.Package(dir.File("teacher"), new Edge.Core.Preprocessing.PreprocessSpec { Height = 4, Width = 4 }, 10);
        // The manifest claims 28x28 input; the model takes 4x4.
        var manifest = package.Manifest with
        {
            Input = package.Manifest.Input with { Shape = [-1, 1, 28, 28] },
            Preprocess = package.Manifest.Preprocess with { Height = 28, Width = 28 },
        };
        Edge.Core.IO.JsonFiles.Write(package.ManifestPath, manifest);
        var e = Assert.Throws<EdgeException>(() => DistillTrainer.Run(Tiny(dir.Path) with { Teachers = [dir.File("teacher")] }, IProgressHost.None));
        Assert.Contains("preprocess.height is 28", e.Message);
        Assert.Contains("takes 4", e.Message);
    }

    [Fact]
    public void UnknownLossListsKnownNames()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<EdgeException>(() => DistillTrainer.Run(Tiny(dir.Path) with { Loss = [new LossWeight("kld", 1)] }, IProgressHost.None));
        Assert.Contains("kd", e.Message);
        Assert.Contains("rcka", e.Message);
    }

    private sealed class CancelOnTitle(string prefix, CancellationTokenSource cancel) : IProgressHost
    {
        public StepHandle Begin(string title, long total, string unit)
        {
            if (title.StartsWith(prefix, StringComparison.Ordinal)) cancel.Cancel();
            return new StepHandle(IStepProgress.None, () => { });
        }
    }
}
