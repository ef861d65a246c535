using Edge.Core.Gate;
using Edge.Core.Manifest;
using Edge.Distill.Models;
using Edge.Distill.Training;
using Edge.Testing;
using Xunit;

namespace Edge.Cli.Tests;

/// <summary>Every teacher form in the verbs that take one: import, an ensemble and a torch: run in the gate, distill cache.</summary>
public class TeacherFormsTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>A finished distill run of an untrained simple-cnn (its record names the default teacher's spec and labels).</summary>
    internal static string TorchRun(string dir)
    {
        Directory.CreateDirectory(dir);
        using var model = StudentRegistry.Create("simple-cnn");
        model.SaveWeights(Path.Combine(dir, DistillTrainer.WeightsFile));
        File.WriteAllText(Path.Combine(dir, DistillTrainer.ConfigFile), model.Config.ToJson());
        var teacher = ModelPackage.Load(TestPaths.Teacher);
        new DistillRecord
        {
            Options = new DistillOptions { OutputDir = dir, Student = "simple-cnn" },
            Student = new StudentRecord("simple-cnn", System.Text.Json.JsonDocument.Parse(model.Config.ToJson()).RootElement.Clone(), teacher.Manifest.Preprocess, model.ParameterCount),
            Teachers = [],
            Labels = teacher.Manifest.Labels,
            Objective = "1.0*ce",
            Result = new DistillOutcome(0.1, 0.1, 0.95, 0, 0, 0, "cached", 0, "", "memory"),
        }.Sealed().Write(dir);
        return dir;
    }

    [Fact]
    public void ImportMakesAPackageTheGateAcceptsAsATeacherOfAnotherOutputKind()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        // The shared teacher with a Softmax head, imported from a bare ONNX file with the dataset's labels.
        string probs = Edge.Core.Tests.Gate.BrokenCandidates.WithOutputKind(TestPaths.Teacher, dir.Path, OutputKind.Probabilities);
        var imported = Run("import", Path.Combine(probs, "model.onnx"), "--out", dir.File("imported"), "--data", "fashion-mnist", "--mean", "0.2860", "--std", "0.3530");
        Assert.True(imported.Code == 0, imported.Err);
        Assert.Contains("probabilities (the graph ends in Softmax)", imported.Out);
        var gate = Run("gate", "--teacher", dir.File("imported"), "--candidate", TestPaths.Teacher + ",name=logits", "--samples", "300", "--latency-samples", "0", "--out", dir.File("gate"));
        Assert.True(gate.Code == 0, gate.Out + gate.Err);
        var report = GateJson.Read(Path.Combine(dir.File("gate"), "gate.json"));
        Assert.Equal(100, report.Candidates[0].Agreement.Estimate);
        Assert.InRange(report.Candidates[0].MeanKl, 0, 1e-4);
    }

    [Fact]
    public void GateTakesAnEnsembleOfTeachersAndATorchRunAsCandidate()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        string run = TorchRun(dir.File("run"));
        var r = Run("gate", "--teacher", TestPaths.Teacher, "--teacher", TestPaths.Teacher + ",name=again", "--candidate", $"torch:{run},name=untrained",
            "--samples", "200", "--latency-samples", "0", "--out", dir.File("gate"));
        Assert.Equal(1, r.Code); // an untrained student fails the gate: a regression, not bad input
        var report = GateJson.Read(Path.Combine(dir.File("gate"), "gate.json"));
        Assert.StartsWith("ensemble(", report.Teacher.Name);
        Assert.Equal("ensemble", report.Teacher.Kind);
        Assert.InRange(report.Teacher.Top1!.Estimate, 90, 100); // two identical members: the teacher itself
        Assert.Equal("torch", report.Candidates[0].Kind);
        Assert.InRange(report.Candidates[0].Top1!.Estimate, 0, 40);
    }

    [Fact]
    public void DistillCacheRecordsATorchTeacher()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        string run = TorchRun(dir.File("run"));
        var r = Run("distill", "cache", "--teacher", $"torch:{run}", "--train-samples", "48", "--epochs", "1", "--out", dir.File("cache"), "--check-cache", "8");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("check-cache: 8 records", r.Out);
        Assert.Single(Directory.GetFiles(dir.File("cache"), "*.fpd"));
    }

    [Fact]
    public void StudentSpecsAndLabelFilesThatCannotWorkAreOneLineErrors()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        var r = Run("distill", "--student-size", "2", "--out", dir.File("run"), "--train-samples", "32");
        Assert.Equal(2, r.Code);
        Assert.Contains("--student-size 2", r.Err);
        Assert.False(File.Exists(Path.Combine(dir.File("run"), "run.json")));
        Directory.CreateDirectory(dir.File("data/a"));
        Directory.CreateDirectory(dir.File("data/b"));
        File.WriteAllBytes(dir.File("data/a/1.png"), Edge.Core.Imaging.ImageEncoder.Png(new Edge.Core.Imaging.RawImage(new byte[16], 4, 4, 1)));
        File.WriteAllBytes(dir.File("data/b/1.png"), Edge.Core.Imaging.ImageEncoder.Png(new Edge.Core.Imaging.RawImage(new byte[16], 4, 4, 1)));
        File.WriteAllText(dir.File("data/map.txt"), "a=T-shirt/top\n");
        r = Run("gate", "--teacher", TestPaths.Teacher, "--candidate", TestPaths.Teacher, "--data", dir.File("data"), "--labels", dir.File("data/map.txt"), "--out", dir.File("gate"));
        Assert.Equal(2, r.Code);
        Assert.Contains("'b'", r.Err);
        Assert.False(Directory.Exists(dir.File("gate")));
    }
}
