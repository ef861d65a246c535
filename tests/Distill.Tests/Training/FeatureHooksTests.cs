using Edge.Core;
using Edge.Distill.Models;
using Edge.Distill.Training;
using Xunit;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Training;

public class FeatureHooksTests
{
    [Fact]
    public void CapturesNamedModuleOutputsThroughCall()
    {
        using var model = StudentRegistry.Create("simple-cnn");
        using var hooks = new FeatureHooks(model, ["features"]);
        using var scope = NewDisposeScope();
        var logits = model.call(randn(2, 1, 32, 32));
        var features = hooks.Take();
        Assert.Equal([2L, 10], logits.shape);
        Assert.Equal(2, features["features"].shape[0]);
        Assert.Empty(hooks.Take());
        var e = Assert.Throws<EdgeException>(() => new FeatureHooks(model, ["nope"]));
        Assert.Contains("features", e.Message);
    }

    [Fact]
    public void ScheduleWarmsUpThenDecaysToTheMinimum()
    {
        var s = new LearningRateSchedule(1.0, 0.01, 10, 110);
        Assert.Equal(0.1, s.At(0), 6);
        Assert.Equal(1.0, s.At(10), 6);
        Assert.Equal(0.505, s.At(60), 3);
        Assert.Equal(0.01, s.At(110), 6);
    }
}
