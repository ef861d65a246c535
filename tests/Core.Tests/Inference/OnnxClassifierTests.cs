using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Inference;
using Edge.Core.Preprocessing;
using Edge.Testing;
using Xunit;

namespace Edge.Core.Tests.Inference;

public class OnnxClassifierTests
{
    [Fact]
    public void TeacherReadsItsShapeAndClasses()
    {
        using var model = new OnnxClassifier(TestPaths.Teacher, new OnnxRunOptions { IntraOpThreads = 1 });
        Assert.Equal("input", model.InputName);
        Assert.Equal(10, model.NumClasses);
        Assert.True(model.Accepts(1, 32, 32));
        var e = Assert.Throws<EdgeException>(() => model.CheckInput(3, 32, 32, "the dataset"));
        Assert.Contains("[3, 32, 32]", e.Message);
    }

    /// <summary>
    /// The shared preprocessing reproduces the teacher's training preprocessing: on real test images the
    /// teacher scores what its card says (95.28% on all 10,000 with ORT fp32; here the first 1,000).
    /// </summary>
    [Fact]
    public void TeacherIsAccurateWithTheSharedPreprocessing()
    {
        TestPaths.RequireFashionMnist();
        using var ds = DatasetSubset.Head(DatasetFactory.Open("fashion-mnist", "test"), 1000);
        using var model = new OnnxClassifier(TestPaths.Teacher);
        int correct = 0;
        foreach (var batch in new BatchLoader(ds, new Preprocessor(PreprocessSpec.FashionMnist32)).Batches(250))
        {
            float[] logits = model.Run(batch.Data, batch.Count);
            for (int i = 0; i < batch.Count; i++)
            {
                if (Edge.Core.Metrics.Predictions.ArgMax(logits.AsSpan(i * 10, 10)) == batch.Labels[i]) correct++;
            }
        }
        Assert.InRange(correct / 1000.0, 0.94, 1.0);
    }

    [Fact]
    public void NonOnnxFileIsAClearError()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("fake.onnx"), "this is not a model");
        var e = Assert.Throws<EdgeException>(() => new OnnxClassifier(dir.File("fake.onnx")));
        Assert.Contains("fake.onnx", e.Message);
    }
}
