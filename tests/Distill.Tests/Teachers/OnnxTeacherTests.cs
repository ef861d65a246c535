using Edge.Core;
using Edge.Core.Preprocessing;
using Edge.Distill.Teachers;
using Edge.Testing;
using Xunit;

namespace Edge.Distill.Tests.Teachers;

public class OnnxTeacherTests
{
    [Fact]
    public void RunsBatchesAndChecksTheInputSpec()
    {
        using var teacher = new OnnxTeacher(TestPaths.Teacher, threads: 1);
        Assert.Equal(10, teacher.NumClasses);
        var outputs = teacher.Run(new float[3 * 32 * 32], 3);
        Assert.Equal(30, outputs.Logits.Length);
        teacher.CheckInput(PreprocessSpec.FashionMnist32, "fashion-mnist");
        var e = Assert.Throws<EdgeException>(() => teacher.CheckInput(PreprocessSpec.FashionMnist32 with { Height = 28, Width = 28 }, "a 28x28 spec"));
        Assert.Contains("[-1, 1, 32, 32]", e.Message);
        Assert.Contains("[1, 28, 28]", e.Message);
    }

    [Fact]
    public void WhiteBoxTeacherReturnsNamedIntermediates()
    {
        string name = FirstReluOutput();
        using var teacher = new OnnxTeacher(TestPaths.Teacher, threads: 1, features: [name]);
        var outputs = teacher.Run(new float[2 * 32 * 32], 2);
        var feature = outputs.Features[name];
        Assert.Equal(2, feature.Shape[0]);
        Assert.Equal(feature.Data.Length, feature.Shape.Aggregate(1L, (a, b) => a * b));
        var e = Assert.Throws<EdgeException>(() => new OnnxTeacher(TestPaths.Teacher, features: ["no-such-tensor"]));
        Assert.Contains("no-such-tensor", e.Message);
    }

    [Fact]
    public void EnsembleAveragesProbabilitiesAndChecksClassCounts()
    {
        using var a = new OnnxTeacher(TestPaths.Teacher, threads: 1);
        var input = new float[2 * 32 * 32];
        for (int i = 0; i < input.Length; i++) input[i] = (i % 31) / 31f;
        var single = a.Run(input, 2).Logits;
        using var ensemble = new EnsembleTeacher([new OnnxTeacher(TestPaths.Teacher, threads: 1), new OnnxTeacher(TestPaths.Teacher, threads: 1)]);
        var averaged = ensemble.Run(input, 2).Logits;
        // log(mean softmax) of identical members is the log-softmax of either.
        for (int b = 0; b < 2; b++)
        {
            var row = single.AsSpan(b * 10, 10).ToArray();
            double max = row.Max(), lse = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            for (int k = 0; k < 10; k++) Assert.Equal(row[k] - lse, averaged[b * 10 + k], 3);
        }
        var e = Assert.Throws<EdgeException>(() => new EnsembleTeacher([new FakeTeacher(10), new FakeTeacher(5)]));
        Assert.Contains("10", e.Message);
    }

    [Fact]
    public void MissingTeacherFileSaysWhatToPass()
    {
        var e = Assert.Throws<EdgeException>(() => new OnnxTeacher("/no/such/teacher.onnx"));
        Assert.Contains("/no/such/teacher.onnx", e.Message);
        Assert.Contains("--teacher", e.Message);
    }

    private static string FirstReluOutput()
    {
        using var stream = File.OpenRead(TestPaths.Teacher);
        var model = Edge.Onnx.Proto.ModelProto.Parser.ParseFrom(stream);
        return model.Graph.Node.First(n => n.OpType == "Relu").Output[0];
    }

    private sealed class FakeTeacher(int classes) : ITeacher
    {
        public string Description => $"fake{classes}";
        public int NumClasses => classes;
        public IReadOnlyList<string> FeatureNames => [];
        public void CheckInput(PreprocessSpec spec, string what) { }
        public TeacherOutputs Run(float[] input, int batch) => new(new float[batch * classes], batch, classes);
        public void Dispose() { }
    }
}
