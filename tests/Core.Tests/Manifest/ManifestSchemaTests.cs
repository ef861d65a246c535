using System.Text.Json.Nodes;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Testing;
using Json.Schema;
using Xunit;

namespace Edge.Core.Tests.Manifest;

/// <summary>docs/manifest.schema.json is the documented contract: what Edge writes validates, what it refuses does not.</summary>
public class ManifestSchemaTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "manifest.schema.json")));

    private static EvaluationResults Check(string json) =>
        Schema.Evaluate(System.Text.Json.JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

    [Fact]
    public void TheShippedAndTheWrittenManifestsValidate()
    {
        Assert.True(Check(File.ReadAllText(ModelPackage.SidecarOf(TestPaths.Teacher))).IsValid);
        using var dir = new TempDir();
        var package = TinyOnnx.Package(dir.File("p"), new PreprocessSpec { Channels = 3, Color = ColorMode.Gray, Height = 4, Width = 4, Mean = [0f, 0f, 0f], Std = [1f, 1f, 1f] }, 3,
            OutputKind.LogProbabilities);
        var written = package.Manifest with
        {
            Teacher = new TeacherInfo("t.onnx", new string('a', 64), 0.9),
            Student = new StudentInfo("tinyvit-quick-32", 10, new string('b', 64), new string('c', 64), 3, "1.0*kd", 0.8),
            Quantization = new QuantizationInfo("dynamic", "S8/S8", null, 0, [], 3),
        };
        JsonFiles.Write(package.ManifestPath, written);
        var result = Check(File.ReadAllText(package.ManifestPath));
        Assert.True(result.IsValid, string.Join("; ", result.Details?.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Values) ?? []));
    }

    [Theory]
    [InlineData("labels", null)]                 // required
    [InlineData("output", """{"name":"o","shape":[-1,3],"kind":"softmax"}""")]
    [InlineData("preprocess", """{"channels":2}""")]
    [InlineData("precision", "\"int4\"")]
    [InlineData("colour", "\"rgb\"")]            // a typo is not silently ignored
    public void BrokenManifestsDoNotValidate(string field, string? value)
    {
        var node = JsonNode.Parse(File.ReadAllText(ModelPackage.SidecarOf(TestPaths.Teacher)))!.AsObject();
        if (value is null) node.Remove(field);
        else node[field] = JsonNode.Parse(value);
        Assert.False(Check(node.ToJsonString()).IsValid);
    }
}
