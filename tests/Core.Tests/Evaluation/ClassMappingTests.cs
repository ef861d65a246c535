using Edge.Core.Evaluation;
using Xunit;

namespace Edge.Core.Tests.Evaluation;

public class ClassMappingTests
{
    private static readonly string[] Classes = ["cat", "dog", "bird"];

    [Fact]
    public void SameOrderIsIdentity_OtherOrderIsRemapped()
    {
        Assert.Equal([0, 1, 2], ClassMapping.Build(["cat", "dog", "bird"], 3, Classes, "m", "set"));
        var map = ClassMapping.Build(["bird", "cat", "dog"], 3, Classes, "m", "set");
        Assert.Equal([2, 0, 1], map);
        var reordered = ClassMapping.Apply([10, 20, 30], 1, map);
        Assert.Equal([20, 30, 10], reordered);
    }

    [Fact]
    public void MissingLabelsUseTheSetOrderWhenTheCountMatches()
    {
        Assert.Equal([0, 1, 2], ClassMapping.Build(null, 3, Classes, "m", "set"));
        var e = Assert.Throws<EdgeException>(() => ClassMapping.Build(null, 10, Classes, "m", "set"));
        Assert.Contains("outputs 10 classes", e.Message);
    }

    [Fact]
    public void DifferentClassesAreAnInputError()
    {
        var e = Assert.Throws<EdgeException>(() => ClassMapping.Build(["cat", "dog", "fish"], 3, Classes, "student", "the set"));
        Assert.Contains("do not match student", e.Message);
        Assert.Contains("fish", e.Message);
        Assert.Contains("bird", e.Message);
    }
}
