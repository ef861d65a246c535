using System.Text.RegularExpressions;
using Edge.Testing;
using Xunit;

namespace Edge.Core.Tests.Evaluation;

/// <summary>The gate's KServe client proto is a subset of the published one: every field it declares must be declared identically there.</summary>
public partial class KServeProtoSubsetTests
{
    [Fact]
    public void EveryClientFieldMatchesThePublishedProtocol()
    {
        var subset = Fields(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "src/Core/Evaluation/Remote/kserve_client.proto")));
        var full = Fields(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "protos/kserve/grpc_predict_v2.proto")));
        Assert.NotEmpty(subset);
        foreach (var field in subset)
            Assert.Contains(field, full);
        foreach (var rpc in new[] { "rpc ServerReady(ServerReadyRequest) returns (ServerReadyResponse)", "rpc ModelMetadata(ModelMetadataRequest) returns (ModelMetadataResponse)", "rpc ModelInfer(ModelInferRequest) returns (ModelInferResponse)" })
            Assert.Contains(rpc, File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "protos/kserve/grpc_predict_v2.proto")));
    }

    /// <summary>"Message.Nested: type name = number" for every field, comments stripped.</summary>
    private static HashSet<string> Fields(string proto)
    {
        var result = new HashSet<string>();
        var scopes = new Stack<string>();
        string? pending = null;
        foreach (var raw in proto.Split('\n'))
        {
            string line = raw.Split("//")[0].Trim();
            if (line.Length == 0) continue;
            var message = MessageRegex().Match(line);
            if (message.Success) pending = message.Groups[1].Value;
            if (line.Contains('{'))
            {
                scopes.Push(pending ?? "");
                pending = null;
            }
            var field = FieldRegex().Match(line);
            if (field.Success && scopes.Count > 0)
                result.Add($"{string.Join(".", scopes.Reverse().Where(s => s.Length > 0))}: {Regex.Replace(field.Groups[1].Value, @"\s+", " ")} = {field.Groups[2].Value}");
            if (line.Contains('}') && scopes.Count > 0) scopes.Pop();
        }
        return result;
    }

    [GeneratedRegex(@"^(?:message|oneof)\s+(\w+)")]
    private static partial Regex MessageRegex();

    [GeneratedRegex(@"^((?:repeated\s+)?(?:map<[^>]+>|[\w.]+)\s+\w+)\s*=\s*(\d+)\s*;")]
    private static partial Regex FieldRegex();
}
