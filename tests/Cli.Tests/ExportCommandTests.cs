using Edge.Core.Manifest;
using Edge.Distill.Models;
using Edge.Distill.Training;
using Edge.Testing;
using Xunit;

namespace Edge.Cli.Tests;

public class ExportCommandTests
{
    /// <summary>A distill run folder as `edge distill` leaves it, for a small untrained student.</summary>
    private static string FakeRun(TempDir dir)
    {
        string run = dir.File("run");
        Directory.CreateDirectory(run);
        using var model = StudentRegistry.Create("simple-cnn");
        model.SaveWeights(Path.Combine(run, DistillTrainer.WeightsFile));
        File.WriteAllText(Path.Combine(run, DistillTrainer.ConfigFile), model.Config.ToJson());
        File.WriteAllText(Path.Combine(run, DistillTrainer.RunFile), "{\"student\": \"simple-cnn\", \"epochs\": 0}");
        return run;
    }

    [Fact]
    public void ExportWritesAPackageWithParityAndTeacherProvenance()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        var output = new StringWriter();
        int code = Program.Run(["export", "--run", FakeRun(dir), "--out", dir.File("pkg"), "--teacher", TestPaths.Teacher, "--parity-samples", "300"], output, new StringWriter());
        Assert.Equal(0, code);
        var package = ModelPackage.Load(dir.File("pkg"));
        Assert.Equal(300, package.Manifest.Parity!.Samples);
        Assert.InRange(package.Manifest.Parity.MaxAbsDiff, 0, 1e-4);
        Assert.Equal(1.0, package.Manifest.Parity.Top1Agreement);
        Assert.Equal("e9fdc00f86d26ade951e47f08378aa1ba1d923a9fbb601d90c8006224f6f7f05", package.Manifest.Teacher!.Sha256);
        Assert.Equal("simple-cnn", package.Manifest.Student!.Architecture);
        Assert.Contains("parity", output.ToString());
    }

    [Fact]
    public void ParityFailureExitsOneAndWritesNoPackage()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        var error = new StringWriter();
        // A zero tolerance cannot be met by float arithmetic in two different engines.
        int code = Program.Run(["export", "--run", FakeRun(dir), "--out", dir.File("pkg"), "--teacher", TestPaths.Teacher, "--parity-samples", "100", "--tolerance", "0"], new StringWriter(), error);
        Assert.Equal(1, code);
        Assert.Contains("differs from TorchSharp", error.ToString());
        Assert.False(Directory.Exists(dir.File("pkg")));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path)); // only the run folder: no temp files left
    }
}
