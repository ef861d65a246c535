using Edge.Serve.Client;
using Edge.Protocol.V2;
using Edge.Serve.Repository;
using Edge.Testing;
using Xunit;

namespace Edge.Serve.Tests.Repository;

public sealed class HotReloadTests
{
    [Fact]
    public async Task Adding_and_removing_versions_under_load_fails_no_request()
    {
        using var dir = new TempDir();
        ServeTestKit.AddVersion(dir.Path, "fmnist", 1);
        var sink = new LogSink();
        await using var server = await ServeTestKit.StartAsync(ServeTestKit.Options(dir.Path) with { PollInterval = TimeSpan.FromMilliseconds(200) }, sink);
        using var client = EdgeClient.Connect(server.GrpcAddress);
        byte[] png = ServeTestKit.FashionImages[3].Png;

        using var stop = new CancellationTokenSource();
        int ok = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var versionsSeen = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var clients = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var r = await client.ClassifyAsync("fmnist", png, topK: 1);
                    versionsSeen[r.Version] = true;
                    Interlocked.Increment(ref ok);
                }
                catch (Exception e)
                {
                    failures.Enqueue(e.Message);
                }
            }
        })).ToArray();

        await WaitFor(() => ok >= 10);
        ServeTestKit.AddVersion(dir.Path, "fmnist", 2);
        await WaitFor(() => server.Repository.VersionsOf("fmnist") is [{ Version: 2 }]);
        await WaitFor(() => versionsSeen.ContainsKey("2"));
        Directory.Delete(Path.Combine(dir.Path, "fmnist", "2"), recursive: true);
        await WaitFor(() => server.Repository.VersionsOf("fmnist") is [{ Version: 1 }]);
        int before = ok;
        await WaitFor(() => ok >= before + 10);
        stop.Cancel();
        await Task.WhenAll(clients);

        Assert.Empty(failures);
        Assert.True(versionsSeen.ContainsKey("1") && versionsSeen.ContainsKey("2"));
        var meta = await client.Inference.ModelMetadataAsync(new ModelMetadataRequest { Name = "fmnist" });
        Assert.Equal(["1"], meta.Versions);
        Assert.Empty(sink.Errors);
    }

    [Fact]
    public async Task Version_policy_all_serves_every_version_and_a_broken_version_does_not_stop_the_others()
    {
        using var dir = new TempDir();
        ServeTestKit.AddVersion(dir.Path, "fmnist", 1);
        ServeTestKit.AddVersion(dir.Path, "fmnist", 3);
        string broken = Path.Combine(dir.Path, "other", "1");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "manifest.json"), "{ not json");
        Directory.CreateDirectory(Path.Combine(dir.Path, "bad name!", "1"));
        var sink = new LogSink();
        await using var server = await ServeTestKit.StartAsync(ServeTestKit.Options(dir.Path) with { VersionPolicy = VersionPolicy.All }, sink);
        Assert.Equal([3L, 1L], server.Repository.VersionsOf("fmnist").Select(v => v.Version));
        Assert.Equal(["fmnist"], server.Repository.ModelNames);
        Assert.Single(sink.Errors, e => e.Contains("other version 1"));
        using var client = EdgeClient.Connect(server.GrpcAddress);
        Assert.Equal("1", (await client.ClassifyAsync("fmnist", ServeTestKit.FashionImages[0].Png, version: "1")).Version);
        Assert.Equal("3", (await client.ClassifyAsync("fmnist", ServeTestKit.FashionImages[0].Png)).Version);
    }

    [Fact]
    public async Task A_single_package_folder_is_served_under_its_manifest_name()
    {
        using var dir = new TempDir();
        string package = ServeTestKit.AddVersion(dir.Path, "solo", 1);
        await using var server = await ServeTestKit.StartAsync(ServeTestKit.Options(package));
        Assert.Equal(["solo"], server.Repository.ModelNames);
    }

    [Fact]
    public async Task An_empty_repository_fails_to_start_with_the_expected_layout()
    {
        using var dir = new TempDir();
        var e = await Assert.ThrowsAsync<Edge.Core.EdgeException>(() => ServeTestKit.StartAsync(ServeTestKit.Options(dir.Path)));
        Assert.Contains("<model>/<version>/model.onnx", e.Message);
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the repository to change");
            await Task.Delay(25);
        }
    }
}
