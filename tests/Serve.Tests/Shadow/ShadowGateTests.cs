using Edge.Core.Gate;
using Edge.Core.Preprocessing;
using Edge.Serve.Client;
using Edge.Serve.Metrics;
using Edge.Serve.Shadow;
using Edge.Testing;
using Xunit;

namespace Edge.Serve.Tests.Shadow;

public sealed class ShadowGateTests
{
    private const int Classes = 10;
    private static readonly string[] Labels = Enumerable.Range(0, Classes).Select(i => $"c{i}").ToArray();

    /// <summary>Logits with a clear winner at <paramref name="top"/>.</summary>
    private static float[] Logits(int top, Random random)
    {
        var row = new float[Classes];
        for (int c = 0; c < Classes; c++)
            row[c] = (float)random.NextDouble();
        row[top] += 5;
        return row;
    }

    private static (ShadowGate Gate, ServeMetrics Metrics, LogSink Log) Create(int window = 500, int every = 100)
    {
        var metrics = new ServeMetrics();
        var sink = new LogSink();
        return (new ShadowGate(window, every, new GateThresholds(), metrics, sink.CreateLogger("shadow")), metrics, sink);
    }

    [Fact]
    public void Agreeing_candidate_passes_min_agreement()
    {
        var (gate, metrics, log) = Create();
        var random = new Random(1);
        GateReport? last = null;
        for (int i = 0; i < 300; i++)
        {
            var teacher = Logits(i % Classes, random);
            last = gate.Add("m", "1", Labels, PreprocessSpec.FashionMnist32, teacher, Logits(i % Classes, random)) ?? last;
        }

        Assert.NotNull(last);
        Assert.True(last.Passed);
        Assert.Equal(1, metrics.ShadowGatePassed.WithLabels("m", "1", "min-agreement").Value);
        Assert.Equal(1.0, metrics.ShadowAgreementLowerBound.WithLabels("m", "1").Value);
        Assert.Equal(300, metrics.ShadowWindowSamples.WithLabels("m", "1").Value);
        Assert.True(metrics.ShadowMeanKl.WithLabels("m", "1").Value >= 0);
        Assert.Empty(log.Warnings);
    }

    [Fact]
    public void Candidate_rotated_by_one_class_fails_min_agreement_and_warns_once()
    {
        var (gate, metrics, log) = Create(window: 200, every: 50);
        var random = new Random(2);
        for (int i = 0; i < 400; i++)
            gate.Add("m", "2", Labels, PreprocessSpec.FashionMnist32, Logits(i % Classes, random), Logits((i + 1) % Classes, random));

        var report = gate.Analyze("m", "2");
        Assert.NotNull(report);
        Assert.False(report.Passed);
        var outcome = Assert.Single(report.Rules);
        Assert.Equal("min-agreement", outcome.Rule);
        Assert.Equal(RuleStatus.Fail, outcome.Status);
        Assert.Equal(200, report.EvalSet.Count); // bounded window
        Assert.Equal(0, metrics.ShadowGatePassed.WithLabels("m", "2", "min-agreement").Value);
        Assert.Equal(0, metrics.ShadowAgreementUpperBound.WithLabels("m", "2").Value);
        Assert.True(metrics.ShadowMeanKl.WithLabels("m", "2").Value > 1);
        Assert.Single(log.Warnings, w => w.Contains("min-agreement", StringComparison.Ordinal));
    }

    [Fact]
    public void Window_recovers_when_the_candidate_agrees_again()
    {
        var (gate, metrics, log) = Create(window: 100, every: 50);
        var random = new Random(3);
        for (int i = 0; i < 100; i++)
            gate.Add("m", "1", Labels, PreprocessSpec.FashionMnist32, Logits(i % Classes, random), Logits((i + 1) % Classes, random));
        Assert.Equal(0, metrics.ShadowGatePassed.WithLabels("m", "1", "min-agreement").Value);
        for (int i = 0; i < 100; i++)
            gate.Add("m", "1", Labels, PreprocessSpec.FashionMnist32, Logits(i % Classes, random), Logits(i % Classes, random));
        Assert.Equal(1, metrics.ShadowGatePassed.WithLabels("m", "1", "min-agreement").Value);
        Assert.Single(log.Warnings);
    }

    [Fact]
    public async Task Server_shadow_mode_exports_the_gate_on_metrics()
    {
        using var dir = new TempDir();
        ServeTestKit.AddVersion(dir.Path, "fmnist", 1);
        var options = ServeTestKit.Options(dir.Path) with { ShadowTeacher = ServeTestKit.Teacher, ShadowFraction = 1.0, ShadowWindow = 100, ShadowGateEvery = 25 };
        await using var server = await ServeTestKit.StartAsync(options);
        using var client = EdgeClient.Connect(server.GrpcAddress);
        foreach (var image in ServeTestKit.FashionImages.Take(50))
            await client.ClassifyAsync("fmnist", image.Png);

        var window = server.Metrics.ShadowWindowSamples.WithLabels("fmnist", "1");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (window.Value < 50 && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.Equal(50, window.Value);
        using var http = new HttpClient();
        string text = await http.GetStringAsync(server.HttpAddress + "/metrics");
        // The served model is the teacher itself: the gate passes with exact agreement.
        Assert.Contains("edge_shadow_gate_passed{model=\"fmnist\",version=\"1\",rule=\"min-agreement\"} 1", text);
        Assert.Contains("edge_shadow_agreement_lower_bound{model=\"fmnist\",version=\"1\"} 1", text);
        Assert.Contains("edge_shadow_mean_kl{model=\"fmnist\",version=\"1\"}", text);
    }
}
