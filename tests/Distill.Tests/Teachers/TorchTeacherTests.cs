using Edge.Core;
using Edge.Core.Preprocessing;
using Edge.Distill.Models;
using Edge.Distill.Teachers;
using Edge.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Teachers;

public class TorchTeacherTests
{
    /// <summary>Writes what `edge distill` leaves in a run folder: run.json, student.json, student.weights.</summary>
    internal static StudentModel WriteRun(string dir, string student = "tinyvit-quick-32", int seed = 3)
    {
        random.manual_seed(seed);
        var model = StudentRegistry.Create(student, c => c with { NumClasses = 10 });
        model.SaveWeights(Path.Combine(dir, SavedStudent.WeightsFile));
        File.WriteAllText(Path.Combine(dir, SavedStudent.ConfigFile), model.Config.ToJson());
        File.WriteAllText(Path.Combine(dir, SavedStudent.RunFile), $$"""{"student": "{{student}}", "epochs": 1}""");
        model.eval();
        return model;
    }

    private static float[] Batch(int n, int seed = 1)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n * 32 * 32).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
    }

    [Fact]
    public void RunFolderTeacherGivesTheStudentsOwnLogits()
    {
        using var dir = new TempDir();
        using var model = WriteRun(dir.Path);
        using var teacher = TeacherRegistry.Open($"torch:{dir.Path}", new TeacherContext());
        Assert.Equal(10, teacher.NumClasses);
        Assert.Contains("tinyvit-quick-32", teacher.Description);
        teacher.CheckInput(PreprocessSpec.FashionMnist32, "fashion-mnist");

        var input = Batch(5);
        var logits = teacher.Run(input, 5).Logits;
        float[] expected;
        using (no_grad())
        using (var x = tensor(input, [5, 1, 32, 32]))
        using (var y = model.call(x))
            expected = y.data<float>().ToArray();
        Assert.Equal(50, logits.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], logits[i], 5);
        // Not a constant function: two images differ.
        Assert.NotEqual(logits[0], logits[10]);

        var e = Assert.Throws<EdgeException>(() => teacher.CheckInput(PreprocessSpec.FashionMnist32 with { Height = 28, Width = 28 }, "a 28x28 spec"));
        Assert.Contains("[1, 32, 32]", e.Message);
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
        var outputs = teacher.Run(Batch(3), 3);
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
        var again = teacher.Run(Batch(3, seed: 9), 3);
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
