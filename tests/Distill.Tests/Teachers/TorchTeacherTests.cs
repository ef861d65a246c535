using Edge.Core;
using Edge.Core.Imaging;
using Edge.Core.Preprocessing;
using Edge.Distill.Data;
using Edge.Distill.Training;
using Edge.Distill.Models;
using Edge.Distill.Teachers;
using Edge.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Teachers;

public class TorchTeacherTests
{
    /// <summary>The run's preprocessing in these tests: no normalisation, so a 32x32 canvas is its own view.</summary>
    internal static readonly PreprocessSpec Identity = new() { Mean = [0f], Std = [1f] };

    /// <summary>Writes what `edge distill` leaves in a run folder: run.json (its record), student.json, student.weights.</summary>
    internal static StudentModel WriteRun(string dir, string student = "tinyvit-quick-32", int seed = 3)
    {
        random.manual_seed(seed);
        var model = StudentRegistry.Create(student, c => c with { NumClasses = 10 });
        model.SaveWeights(Path.Combine(dir, SavedStudent.WeightsFile));
        File.WriteAllText(Path.Combine(dir, SavedStudent.ConfigFile), model.Config.ToJson());
        new DistillRecord
        {
            Options = new DistillOptions { OutputDir = dir, Student = student },
            Student = new StudentRecord(student, System.Text.Json.JsonDocument.Parse(model.Config.ToJson()).RootElement.Clone(), Identity, model.ParameterCount),
            Teachers = [],
            Labels = [.. Enumerable.Range(0, 10).Select(i => $"class {i}")],
            Objective = "1.0*ce",
        }.Sealed().Write(dir);
        model.eval();
        return model;
    }

    /// <summary><paramref name="n"/> random 32x32 gray canvases and the tensor they are as the run's view.</summary>
    private static (ViewBatch Views, float[] Tensor) Batch(int n, int seed = 1)
    {
        var rng = new Random(seed);
        var data = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, 32 * 32).Select(_ => (float)rng.NextDouble()).ToArray()).ToArray();
        return (new ViewBatch([.. data.Select(d => new Canvas(d, 1, 32, 32))]), [.. data.SelectMany(d => d)]);
    }

    [Fact]
    public void RunFolderTeacherGivesTheStudentsOwnLogits()
    {
        using var dir = new TempDir();
        using var model = WriteRun(dir.Path);
        using var teacher = TeacherRegistry.Open($"torch:{dir.Path}", new TeacherContext());
        Assert.Equal(10, teacher.NumClasses);
        Assert.Contains("tinyvit-quick-32", teacher.Description);
        Assert.Equal("class 3", teacher.Labels[3]);
        Assert.True(teacher.Cards[0].Preprocess.SameAs(Identity)); // the run's own preprocessing, from its record

        var (views, input) = Batch(5);
        var logits = teacher.Run(views).Logits;
        float[] expected;
        using (no_grad())
        using (var x = tensor(input, [5, 1, 32, 32]))
        using (var y = model.call(x))
            expected = y.data<float>().ToArray();
        Assert.Equal(50, logits.Length);
        // Targets are the logits, each row centred on its mean.
        for (int b = 0; b < 5; b++)
        {
            double mean = expected.Skip(b * 10).Take(10).Average();
            for (int k = 0; k < 10; k++) Assert.Equal(expected[b * 10 + k] - mean, logits[b * 10 + k], 5);
        }
        // Not a constant function: two images differ.
        Assert.NotEqual(logits[0], logits[10]);
    }

    [Fact]
    public void HooksReturnNamedFeaturesAndAttentionMapsWithTheirShapes()
    {
        using var dir = new TempDir();
        using var model = WriteRun(dir.Path);
        var c = (TinyVitConfig)model.Config;
        var res = c.StageResolutions();
        string attn = "stages.1.blocks.0.attn" + Edge.Distill.Training.FeatureHooks.AttentionSuffix;
        using var teacher = TeacherRegistry.Open($"torch:{dir.Path}", new TeacherContext { Features = ["stages.1", "stages.2", attn] });
        var outputs = teacher.Run(Batch(3).Views);
        Assert.Equal([3L, c.EmbedDims[1], res[1], res[1]], outputs.Features["stages.1"].Shape);
        Assert.Equal([3L, c.EmbedDims[2], res[2], res[2]], outputs.Features["stages.2"].Shape);
        var map = outputs.Features[attn];
        Assert.Equal(3, map.Shape[0]);
        Assert.Equal(4, map.Shape.Length);
        Assert.Equal(map.Shape[2], map.Shape[3]);
        Assert.Equal(map.Data.Length, map.Shape.Aggregate(1L, (a, b) => a * b));
        // Attention probabilities: every row sums to one.
        long n = map.Shape[3];
        for (int row = 0; row < map.Data.Length / n; row += 7)
            Assert.Equal(1.0, map.Data.Skip((int)(row * n)).Take((int)n).Sum(), 4);
        // The feature comes from this forward: a second batch gives other values.
        var again = teacher.Run(Batch(3, seed: 9).Views);
        Assert.NotEqual(outputs.Features["stages.2"].Data[0], again.Features["stages.2"].Data[0]);
    }

    [Fact]
    public void UnknownModulePathIsAnErrorNamingIt()
    {
        using var dir = new TempDir();
        using var model = WriteRun(dir.Path);
        var e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open($"torch:{dir.Path}", new TeacherContext { Features = ["stages.9"] }));
        Assert.Contains("teacher has no module 'stages.9'", e.Message);
        Assert.Contains("stages.1", e.Message);
        e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open($"torch:{dir.Path}", new TeacherContext { Features = ["stages.1:attn"] }));
        Assert.Contains("not an attention module", e.Message);
    }

    [Fact]
    public void CheckpointFromAnotherArchitectureIsAnErrorNamingIt()
    {
        using var dir = new TempDir();
        using (WriteRun(dir.Path, "simple-cnn")) { }
        string weights = Path.Combine(dir.Path, SavedStudent.WeightsFile);
        var e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open($"torch:{weights}?student=tinyvit-quick-32&config={Path.Combine(dir.Path, "nothing.json")}", new TeacherContext()));
        Assert.Contains("nothing.json", e.Message); // a missing config file is named
        File.Delete(Path.Combine(dir.Path, SavedStudent.ConfigFile));
        e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open($"torch:{weights}?student=tinyvit-quick-32", new TeacherContext()));
        Assert.Contains("does not hold weights of tinyvit-quick-32", e.Message);
        Assert.Contains(weights, e.Message);

        // Same architecture family, other widths: names match, shapes do not.
        using var other = new TempDir();
        using (WriteRun(other.Path, "tinyvit-5m-32")) { }
        File.Delete(Path.Combine(other.Path, SavedStudent.ConfigFile));
        e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open($"torch:{Path.Combine(other.Path, SavedStudent.WeightsFile)}?student=tinyvit-quick-32", new TeacherContext()));
        Assert.Contains("tinyvit-quick-32", e.Message);

        // A weights file of a registered architecture opens with its name.
        using var teacher = TeacherRegistry.Open($"torch:{weights}?student=simple-cnn", new TeacherContext());
        Assert.Equal(10, teacher.NumClasses);
        // Without a record beside it, a weights file needs a manifest for its preprocessing and labels.
        using var bare = new TempDir();
        File.Copy(weights, Path.Combine(bare.Path, "w.weights"));
        e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open($"torch:{Path.Combine(bare.Path, "w.weights")}?student=simple-cnn", new TeacherContext()));
        Assert.Contains("manifest=", e.Message);
    }

    [Fact]
    public void TeacherSpecsResolveByScheme()
    {
        var e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open("torch:/nonexistent/run", new TeacherContext()));
        Assert.Contains("/nonexistent/run", e.Message);
        e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open("ftp://host/model", new TeacherContext()));
        Assert.Contains("unknown teacher scheme 'ftp'", e.Message);
        e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open("/nonexistent/t.onnx", new TeacherContext()));
        Assert.Contains("/nonexistent/t.onnx", e.Message);
        e = Assert.Throws<EdgeException>(() => TeacherRegistry.Open("grpc://127.0.0.1:1/m", new TeacherContext { Features = ["x"] }));
        Assert.Contains("black box", e.Message);
    }
}
