using Edge.Core.Manifest;
using Edge.Distill.Models;
using Edge.Distill.Training;
using Edge.Testing;
using Xunit;

namespace Edge.Cli.Tests;

public class ExportCommandTests
{
    /// <summary>A finished distill run folder as `edge distill` leaves it (its record, weights, config), for a small
    /// untrained student of the default teacher.</summary>
    private static string FakeRun(TempDir dir)
    {
        string run = dir.File("run");
        Directory.CreateDirectory(run);
        using var model = StudentRegistry.Create("simple-cnn");
        model.SaveWeights(Path.Combine(run, DistillTrainer.WeightsFile));
        File.WriteAllText(Path.Combine(run, DistillTrainer.ConfigFile), model.Config.ToJson());
        var teacher = ModelPackage.Load(TestPaths.Teacher);
        new DistillRecord
        {
            Options = new DistillOptions { OutputDir = run, Student = "simple-cnn", Epochs = 0 },
            Student = new StudentRecord("simple-cnn", System.Text.Json.JsonDocument.Parse(model.Config.ToJson()).RootElement.Clone(), teacher.Manifest.Preprocess, model.ParameterCount),
            Teachers = [new Edge.Distill.Teachers.TeacherCard(teacher.ModelPath, "fmnist-resnet18.onnx", teacher.Manifest.ModelSha256, teacher.Manifest.Preprocess, OutputKind.Logits, teacher.Manifest.Labels)],
            Labels = teacher.Manifest.Labels,
            Objective = "1.0*kd",
            Result = new DistillOutcome(0.1, 0.1, 0.95, 0, 0, 0, "cached", 0, "", "memory"),
        }.Sealed().Write(run);
        return run;
    }

    [Fact]
    public void ExportWritesAPackageWithParityAndTeacherProvenance()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        var output = new StringWriter();
        int code = Program.Run(["export", "--run", FakeRun(dir), "--out", dir.File("pkg"), "--parity-samples", "300"], output, new StringWriter());
        Assert.Equal(0, code);
        var package = ModelPackage.Load(dir.File("pkg"));
        Assert.Equal(300, package.Manifest.Parity!.Samples);
        Assert.InRange(package.Manifest.Parity.MaxAbsDiff, 0, 1e-4);
        Assert.Equal(1.0, package.Manifest.Parity.Top1Agreement);
        Assert.Equal("e9fdc00f86d26ade951e47f08378aa1ba1d923a9fbb601d90c8006224f6f7f05", package.Manifest.Teacher!.Sha256);
        Assert.Equal("simple-cnn", package.Manifest.Student!.Architecture);
        // Provenance as names and hashes: no path of this machine in the manifest.
        Assert.Equal(Edge.Core.IO.FileHash.Sha256(Path.Combine(dir.File("run"), DistillTrainer.WeightsFile)), package.Manifest.Student.WeightsSha256);
        Assert.DoesNotContain(dir.Path, File.ReadAllText(package.ManifestPath));
        Assert.DoesNotContain("/work", File.ReadAllText(package.ManifestPath));
        Assert.Equal("T-shirt/top", package.Manifest.Labels[0]);
        Assert.Contains("parity", output.ToString());
    }

    [Fact]
    public void ParityFailureExitsOneAndWritesNoPackage()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        var error = new StringWriter();
        // A zero tolerance cannot be met by float arithmetic in two different engines.
        int code = Program.Run(["export", "--run", FakeRun(dir), "--out", dir.File("pkg"), "--parity-samples", "100", "--tolerance", "0"], new StringWriter(), error);
        Assert.Equal(1, code);
        Assert.Contains("differs from TorchSharp", error.ToString());
        Assert.False(Directory.Exists(dir.File("pkg")));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path)); // only the run folder: no temp files left
    }
}
