using Edge.Core.Progress;
using Edge.Distill.Losses;
using Edge.Distill.Models;
using Edge.Distill.Training;
using Edge.Testing;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Models;

/// <summary>
/// The CNN students distil with every registered loss. A smoke test only: each loss takes a few AdamW steps on one
/// fixed batch and must stay finite and go down (the formulas are checked against references in LossTests); the
/// feature losses pair a student stage (<c>blocks.2</c>) with a teacher stage through forward hooks, as the trainer does.
/// Then one real run through <see cref="DistillTrainer"/> with a feature loss, layer decay and EMA.
/// </summary>
public class CnnStudentDistillationTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> StudentsAndLosses()
    {
        var data = new TheoryData<string, string>();
        foreach (var student in new[] { "efficientnet-quick-32", "mobilenetv3-quick-32" })
            foreach (var loss in LossRegistry.Names) data.Add(student, loss);
        return data;
    }

    [Theory]
    [MemberData(nameof(StudentsAndLosses))]
    public void EveryLossTrainsTheStudentOnAFixedBatch(string student, string loss)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var options = new LossOptions { FeaturePairs = [new FeaturePair("blocks.2", "stages.1")], TopK = 3 };
        var objective = LossRegistry.Compose([new LossWeight(loss, 1.0)], options);

        // A fixed teacher with stage features: a randomly initialised TinyViT (stages.1 is [N, 64, 4, 4] at 32 px).
        using var teacherModel = StudentRegistry.Create("tinyvit-quick-32");
        teacherModel.eval();
        using var teacherHooks = new FeatureHooks(teacherModel, objective.TeacherFeatures, "teacher");
        var x = randn(16, 1, 32, 32);
        var labels = randint(0, 10, [16]);
        DistillOutputs teacher;
        using (no_grad())
            teacher = new DistillOutputs(teacherModel.call(x) * 3) { Features = teacherHooks.Take() };

        using var model = StudentRegistry.Create(student);
        model.train();
        using var hooks = new FeatureHooks(model, objective.StudentFeatures);
        Tensor Loss() => objective.Compute(new DistillOutputs(model.call(x)) { Features = hooks.Take() }, teacher, labels);
        using (no_grad()) Loss(); // builds FitNet's projector before the optimizer sees the parameters
        var optimizer = optim.AdamW([.. model.parameters(), .. objective.Parameters], lr: 1e-3);
        var values = new List<float>();
        for (int step = 0; step < 10; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var value = Loss();
            value.backward();
            optimizer.step();
            values.Add(value.item<float>());
        }
        output.WriteLine($"{student} {objective}: {string.Join(" ", values.Select(v => v.ToString("G4")))}");
        Assert.All(values, v => Assert.True(float.IsFinite(v), $"loss {v}"));
        Assert.True(values[^1] < values[0], $"{loss} did not decrease: {values[0]} -> {values[^1]}");
    }

    [Fact]
    public void DistillTrainerRunsACnnStudentWithAFeatureLossLayerDecayAndEma()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        string teacherFeature = FirstReluOutput();
        var options = new DistillOptions
        {
            OutputDir = dir.Path,
            Student = "mobilenetv3-quick-32",
            Teachers = [TestPaths.Teacher],
            Dataset = "fashion-mnist",
            Epochs = 1,
            BatchSize = 32,
            TrainSamples = 96,
            TestSamples = 64,
            AgreementSamples = 32,
            TeacherSamples = 0,
            Seed = 5,
            Plots = false,
            Loss = [new LossWeight("kd", 1), new LossWeight("fitnet", 1)],
            LossOptions = new LossOptions { FeaturePairs = [new FeaturePair("blocks.1", teacherFeature)] },
            LayerDecay = 0.8,
            Ema = 0.9,
        };
        using var result = DistillTrainer.Run(options, IProgressHost.None);
        output.WriteLine($"loss {result.Loss}: epoch 1 train loss {result.Epochs[0].TrainLoss:F4}, test top-1 {result.TestTop1:P1}");
        Assert.True(double.IsFinite(result.Epochs[0].TrainLoss));

        // The run folder rebuilds the same MobileNetV3 (student.json names its family) with the same weights.
        Assert.StartsWith("{\n  \"family\": \"mobilenetv3\"", File.ReadAllText(Path.Combine(dir.Path, SavedStudent.ConfigFile)).ReplaceLineEndings("\n"));
        using var rebuilt = SavedStudent.Load(dir.Path);
        Assert.IsType<MobileNetV3>(rebuilt);
        rebuilt.eval();
        result.Model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = randn(3, 1, 32, 32);
        Assert.True(rebuilt.call(x).allclose(result.Model.call(x), rtol: 1e-5, atol: 1e-6));
    }

    private static string FirstReluOutput()
    {
        using var stream = File.OpenRead(TestPaths.Teacher);
        var model = Edge.Onnx.Proto.ModelProto.Parser.ParseFrom(stream);
        return model.Graph.Node.First(n => n.OpType == "Relu").Output[0];
    }
}
