using System.Diagnostics;
using System.Text.Json;
using Edge.Testing;
using Xunit;

namespace Edge.Serve.Tests.PythonClient;

/// <summary>
/// Interop with clients generated from the protos alone: the plain KServe v2 protocol (grpcio-tools) and Triton's
/// protocol (Debian's protoc + grpc_python_plugin). scripts/setup.sh installs both toolchains, so their absence fails
/// the tests rather than letting them pass without running.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class PythonClientTests(ServerFixture fx)
{
    [Fact]
    public async Task A_client_generated_from_the_published_proto_interoperates()
    {
        Assert.True(PythonHasGrpc(), "/usr/bin/python3 lacks grpc/grpc_tools: run scripts/setup.sh (apt-get install python3-grpcio python3-grpc-tools)");
        using var dir = new TempDir();
        string protos = Path.Combine(TestPaths.RepoRoot, "protos", "kserve");
        var (code, _, err) = await Run("/usr/bin/python3", "-m", "grpc_tools.protoc", $"-I{protos}", $"--python_out={dir.Path}", $"--grpc_python_out={dir.Path}", Path.Combine(protos, "grpc_predict_v2.proto"));
        Assert.True(code == 0, "protoc failed: " + err);

        string script = Path.Combine(AppContext.BaseDirectory, "PythonClient", "v2_client.py");
        string target = fx.Server.GrpcAddress.Replace("http://", "", StringComparison.Ordinal);
        var (rc, output, error) = await Run("/usr/bin/python3", script, dir.Path, target, "fmnist");
        Assert.True(rc == 0, "python client failed: " + error);
        var json = JsonDocument.Parse(output.Trim()).RootElement;
        Assert.True(json.GetProperty("ready").GetBoolean());
        Assert.Equal("fmnist", json.GetProperty("name").GetString());
        Assert.Equal("[-1, 1, 32, 32]", json.GetProperty("input_shape").GetRawText());
        Assert.Equal("py-1", json.GetProperty("id").GetString());
        Assert.Equal("[1, 10]", json.GetProperty("output_shape").GetRawText());
        float[] expected = fx.Reference.Run(Enumerable.Repeat(0.5f, 1024).ToArray(), 1);
        Services.InferenceServiceTests.AssertClose(expected, json.GetProperty("logits").EnumerateArray().Select(e => e.GetSingle()).ToArray());
    }

    /// <summary>
    /// Triton's protocol (protos/triton) compiled by Debian's protoc with grpc_python_plugin, as Triton's own client is
    /// built: the extensions beyond the KServe core, checked against values computed here.
    /// </summary>
    [Fact]
    public async Task A_client_generated_from_the_triton_protos_with_debians_protoc_uses_the_extensions()
    {
        Assert.True(File.Exists("/usr/bin/protoc") && File.Exists("/usr/bin/grpc_python_plugin"),
            "protoc and grpc_python_plugin are missing: run scripts/setup.sh (apt-get install protobuf-compiler protobuf-compiler-grpc)");
        Assert.True(PythonHasGrpc(), "/usr/bin/python3 lacks grpc: run scripts/setup.sh (apt-get install python3-grpcio)");
        using var dir = new TempDir();
        string protos = Path.Combine(TestPaths.RepoRoot, "protos", "triton");
        var (code, _, err) = await Run("/usr/bin/protoc", $"-I{protos}", $"--python_out={dir.Path}", $"--grpc_python_out={dir.Path}",
            "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin", Path.Combine(protos, "grpc_service.proto"), Path.Combine(protos, "model_config.proto"));
        Assert.True(code == 0, "protoc failed: " + err);

        string script = Path.Combine(AppContext.BaseDirectory, "PythonClient", "triton_protocol_client.py");
        var (rc, output, error) = await Run("/usr/bin/python3", script, dir.Path, fx.Server.GrpcAddress.Replace("http://", "", StringComparison.Ordinal));
        Assert.True(rc == 0, "python client failed: " + error);
        var json = JsonDocument.Parse(output.Trim()).RootElement;
        Assert.Contains("model_configuration", json.GetProperty("extensions").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(8, json.GetProperty("max_batch_size").GetInt32());
        Assert.Equal("[\"TYPE_INT32\", \"TYPE_INT32\"]", json.GetProperty("input_types").GetRawText());
        Assert.Equal("[[16], [16]]", json.GetProperty("input_dims").GetRawText());
        Assert.Equal("KIND_CPU", json.GetProperty("instance_kind").GetString());
        Assert.Contains("[\"simple\", \"READY\"]", json.GetProperty("index").GetRawText());
        Assert.Equal("[\"s0\", \"s1\", \"s2\"]", json.GetProperty("stream_ids").GetRawText());
        Assert.All(json.GetProperty("stream_errors").EnumerateArray(), e => Assert.Equal("", e.GetString()));
        var sums = json.GetProperty("stream_sums").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        for (int k = 0; k < 3; k++)
            Assert.Equal(Enumerable.Range(0, 16).Select(i => i + k), sums[k]);
        Assert.Equal("[\"15:15\", \"14:14\"]", json.GetProperty("classification").GetRawText());
        Assert.Equal(4, json.GetProperty("success_delta").GetInt32()); // 3 streamed + 1 classified
    }

    private static bool PythonHasGrpc()
    {
        if (!File.Exists("/usr/bin/python3"))
            return false;
        var (code, _, _) = Run("/usr/bin/python3", "-c", "import grpc, grpc_tools.protoc").GetAwaiter().GetResult();
        return code == 0;
    }

    private static async Task<(int Code, string Out, string Err)> Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
