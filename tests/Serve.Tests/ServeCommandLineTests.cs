using Edge.Core;
using Edge.Core.Inference;
using Edge.Serve.Repository;
using Xunit;

namespace Edge.Serve.Tests;

public sealed class ServeCommandLineTests
{
    [Fact]
    public void Parses_every_option()
    {
        var o = ServeCommandLine.Parse(["--repository", "/models", "--host", "0.0.0.0", "--grpc-port=9001", "--http-port", "9000", "--threads", "2",
            "--device", "cuda", "--max-batch", "16", "--max-queue-delay-ms", "5", "--version-policy", "latest:2", "--shadow-teacher", "t.onnx",
            "--shadow-fraction", "0.5", "--shadow-window", "500", "--shadow-gate-every", "50", "--shadow-min-agreement", "95",
            "--max-message-mb", "4", "--poll-seconds", "0", "--ort-spinning", "on", "--max-concurrency", "7"]);
        Assert.Equal("/models", o.Repository);
        Assert.Equal("0.0.0.0", o.Host);
        Assert.Equal(9001, o.GrpcPort);
        Assert.Equal(9000, o.HttpPort);
        Assert.Equal(InferenceDevice.Cuda, o.Device);
        Assert.Equal(16, o.Batching.MaxBatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(5), o.Batching.MaxQueueDelay);
        Assert.Equal(VersionPolicy.Latest(2), o.VersionPolicy);
        Assert.Equal(0.5, o.ShadowFraction);
        Assert.Equal(500, o.ShadowWindow);
        Assert.Equal(50, o.ShadowGateEvery);
        Assert.Equal(95, o.ShadowThresholds.MinAgreement);
        Assert.Equal(4 << 20, o.MaxMessageBytes);
        Assert.Equal(TimeSpan.Zero, o.PollInterval);
        Assert.True(o.OrtSpinning);
        Assert.Equal(7, o.MaxConcurrentRequests);
        Assert.False(ServeCommandLine.Parse(["--repository", "/models"]).OrtSpinning); // off unless asked for
    }

    [Fact]
    public void Unknown_options_and_a_missing_repository_are_named()
    {
        Assert.Contains("--repository is required", Assert.Throws<EdgeException>(() => ServeCommandLine.Parse(["--threads", "1"])).Message);
        Assert.Contains("--bogus", Assert.Throws<EdgeException>(() => ServeCommandLine.Parse(["--repository", "r", "--bogus", "1"])).Message);
        Assert.Contains("--ort-spinning takes on or off, got 'maybe'", Assert.Throws<EdgeException>(() => ServeCommandLine.Parse(["--repository", "r", "--ort-spinning", "maybe"])).Message);
        Assert.Contains("--threads takes a whole number", Assert.Throws<EdgeException>(() => ServeCommandLine.Parse(["--repository", "r", "--threads", "x"])).Message);
    }
}
