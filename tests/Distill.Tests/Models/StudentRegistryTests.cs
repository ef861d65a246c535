using Edge.Core;
using Edge.Distill.Models;
using Xunit;

namespace Edge.Distill.Tests.Models;

public class StudentRegistryTests
{
    [Fact]
    public void UnknownNameListsKnownStudents()
    {
        var e = Assert.Throws<EdgeException>(() => StudentRegistry.Create("tinyvit-9000"));
        Assert.Contains("tinyvit-9000", e.Message);
        foreach (var name in StudentRegistry.Names) Assert.Contains(name, e.Message);
    }

    [Fact]
    public void OverridesApplyToThePresetConfig()
    {
        using var model = StudentRegistry.Create("tinyvit-5m-32", c => c with { NumClasses = 7 });
        Assert.Equal(7, model.Config.NumClasses);
        Assert.Equal(1, model.Config.InChannels);
        Assert.Equal("tinyvit-5m-32", model.RegistryName);
        Assert.Equal(new long[] { 1, 32, 32 }, model.InputShape);
    }

    [Fact]
    public void JsonOverridesOnlyTheFieldsItNames()
    {
        var baseConfig = (TinyVitConfig)StudentRegistry.DefaultConfig("tinyvit-quick-32");
        var config = TinyVitConfig.FromJson("""{ "numClasses": 5, "DropPathRate": 0.1 }""", baseConfig);
        Assert.Equal(5, config.NumClasses);
        Assert.Equal(0.1, config.DropPathRate);
        Assert.Equal(baseConfig.EmbedDims, config.EmbedDims);
        Assert.Equal(baseConfig.StemStride, config.StemStride);
    }

    [Fact]
    public void JsonRoundTrips()
    {
        var config = StudentRegistry.DefaultConfig("tinyvit-11m");
        var back = TinyVitConfig.FromJson(config.ToJson());
        Assert.Equal(config.ToJson(), back.ToJson());
    }

    [Theory]
    [InlineData("""{ "numClases": 5 }""", "numClases")]
    [InlineData("""{ "stemStride": 3 }""", "StemStride")]
    [InlineData("""{ "numHeads": [1, 3, 4, 5] }""", "NumHeads[1]")]
    [InlineData("""[1, 2]""", "not a JSON object")]
    public void InvalidJsonConfigsNameTheProblem(string json, string expected)
    {
        var e = Assert.Throws<EdgeException>(() => StudentRegistry.ParseConfig("tinyvit-quick-32", json));
        Assert.Contains(expected, e.Message);
    }
}
