using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Core.Progress;
using Edge.Distill.Losses;
using Edge.Distill.Models;
using Edge.Distill.Training;
using Edge.Testing;
using Xunit;

namespace Edge.Distill.Tests.Training;

/// <summary>Recipes, the run's record of itself, and the student's own preprocessing.</summary>
public class RunRecordTests
{
    private static DistillOptions Defaults => new() { OutputDir = "runs/x" };

    [Fact]
    public void JsonAndYamlRecipesSetOptionsAndUnknownFieldsAreNamed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("r.json"), """
            { "epochs": 7, "loss": "kd=1,dkd=0.5", "loss_options": { "temperature": 2 }, "dataset": "my/data",
              "student_input": { "size": 48, "channels": 3 }, "augment": "flip,rrc=0.5" }
            """);
        var o = DistillRecipe.Apply(Defaults, dir.File("r.json"));
        Assert.Equal(7, o.Epochs);
        Assert.Equal([new LossWeight("kd", 1), new LossWeight("dkd", 0.5)], o.Loss);
        Assert.Equal(2, o.LossOptions.Temperature);
        Assert.Equal(8, o.LossOptions.DkdBeta); // untouched fields of a nested record keep their defaults
        Assert.Equal("my/data", o.Dataset.Path);
        Assert.Equal((48, 3), (o.StudentInput.Size!.Value, o.StudentInput.Channels!.Value));
        Assert.Equal("flip,rrc=0.5", o.Augment!.ToString());
        Assert.Equal(Defaults.BatchSize, o.BatchSize);

        File.WriteAllText(dir.File("r.yaml"), """
            # a YAML recipe
            epochs: 9
            learning_rate: 0.001
            teachers: [a.onnx, b.onnx]
            student_config:
              depths: [1, 1, 1, 1]
            """);
        var y = DistillRecipe.Apply(Defaults, dir.File("r.yaml"));
        Assert.Equal(9, y.Epochs);
        Assert.Equal(1e-3, y.LearningRate);
        Assert.Equal(["a.onnx", "b.onnx"], y.Teachers);
        Assert.Equal([1, 1, 1, 1], Assert.IsType<TinyVitConfig>(y.StudentConfig).Depths);

        File.WriteAllText(dir.File("typo.yaml"), "epochz: 3\n");
        var e = Assert.Throws<EdgeException>(() => DistillRecipe.Apply(Defaults, dir.File("typo.yaml")));
        Assert.Contains("'epochz'", e.Message);
        File.WriteAllText(dir.File("nested.json"), """{ "loss_options": { "temprature": 3 } }""");
        e = Assert.Throws<EdgeException>(() => DistillRecipe.Apply(Defaults, dir.File("nested.json")));
        Assert.Contains("'loss_options.temprature'", e.Message);
        File.WriteAllText(dir.File("type.json"), """{ "epochs": "many" }""");
        e = Assert.Throws<EdgeException>(() => DistillRecipe.Apply(Defaults, dir.File("type.json")));
        Assert.Contains("epochs", e.Message);
    }

    [Fact]
    public void StudentPreprocessFollowsTheTeacherUnlessToldOtherwise()
    {
        var teacher = new PreprocessSpec { Channels = 3, Height = 64, Width = 64, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] };
        bool Fits(int c, int s) => s <= 128;
        var same = StudentPreprocess.Resolve(new StudentInput(), teacher, 1, 32, Fits);
        Assert.True(same.SameAs(teacher));
        var gray = StudentPreprocess.Resolve(new StudentInput { Channels = 1, Size = 32 }, teacher, 1, 32, Fits);
        Assert.Equal((1, 32, 32), (gray.Channels, gray.Height, gray.Width));
        Assert.Equal((0.485f + 0.456f + 0.406f) / 3, gray.Mean[0], 6); // the three channels' mean carried over
        // A 224 px teacher does not fit a 32 px preset: the student takes the preset's native size.
        var big = StudentPreprocess.Resolve(new StudentInput(), teacher with { Height = 224, Width = 224 }, 1, 32, Fits);
        Assert.Equal(32, big.Height);
        var custom = StudentPreprocess.Resolve(new StudentInput { Mean = [0.5f], Std = [0.5f] }, teacher, 1, 32, Fits);
        Assert.Equal([0.5f, 0.5f, 0.5f], custom.Mean);
    }

    [Fact]
    public void FingerprintIgnoresRuntimeSettingsAndChangesWithWhatIsComputed()
    {
        var record = new DistillRecord
        {
            Options = Defaults,
            Student = new StudentRecord("tinyvit-quick-32", System.Text.Json.JsonDocument.Parse("{}").RootElement.Clone(), PreprocessSpec.FashionMnist32, 1),
            Teachers = [],
            Labels = ["a", "b"],
            Objective = "1.0*kd",
        };
        string f = record.ComputeFingerprint();
        Assert.Equal(f, (record with { Options = Defaults with { Threads = 2, Workers = 1, OutputDir = "elsewhere", Resume = true, DataMemory = Edge.Distill.Data.DataMemory.Stream } }).ComputeFingerprint());
        Assert.NotEqual(f, (record with { Options = Defaults with { LossOptions = new LossOptions { Temperature = 3 } } }).ComputeFingerprint());
        Assert.NotEqual(f, (record with { Options = Defaults with { ClipNorm = 1 } }).ComputeFingerprint());
        Assert.NotEqual(f, (record with { Student = record.Student with { Preprocess = PreprocessSpec.FashionMnist32 with { Mean = [0.5f] } } }).ComputeFingerprint());
        Assert.NotEqual(f, (record with { Labels = ["b", "a"] }).ComputeFingerprint());
    }

    [Fact]
    public void StudentTrainsAtAnotherSizeAndColourThanItsTeacherAndTheRunRecordsBoth()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        // An RGB 16x16 teacher with ImageNet normalisation and a probability output.
        var teacherSpec = new PreprocessSpec { Channels = 3, Height = 16, Width = 16, Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f] };
        TinyOnnx.Package(dir.File("teacher"), teacherSpec, 10, OutputKind.Probabilities, labels: BuiltInDatasets.FashionMnist.Labels);
        var options = new DistillOptions
        {
            OutputDir = dir.File("run"), Teachers = [dir.File("teacher")], Dataset = "fashion-mnist", Student = "tinyvit-quick-32",
            StudentInput = new StudentInput { Size = 32, Channels = 1 },
            Epochs = 1, BatchSize = 32, TrainSamples = 64, TestSamples = 32, AgreementSamples = 16, Plots = false,
        };
        using var result = DistillTrainer.Run(options, IProgressHost.None);
        var record = DistillRecord.Read(dir.File("run"));
        Assert.Equal((1, 32, 32), (record.Student.Preprocess.Channels, record.Student.Preprocess.Height, record.Student.Preprocess.Width));
        Assert.True(record.Teachers.Single().Preprocess.SameAs(teacherSpec));
        Assert.Equal(OutputKind.Probabilities, record.Teachers[0].OutputKind);
        Assert.Equal(BuiltInDatasets.FashionMnist.Labels, record.Labels);
        Assert.Equal(record.ComputeFingerprint(), record.Fingerprint);
        Assert.NotNull(record.Result);
        Assert.Equal(1, result.Model.Config.InChannels);

        // Resuming with other computed settings is refused before anything is overwritten.
        string before = File.ReadAllText(DistillRecord.PathIn(dir.File("run")));
        var e = Assert.Throws<EdgeException>(() => DistillTrainer.Run(options with { Resume = true, LearningRate = 1e-2 }, IProgressHost.None));
        Assert.Contains("learning_rate", e.Message);
        Assert.Equal(before, File.ReadAllText(DistillRecord.PathIn(dir.File("run"))));
    }
}
