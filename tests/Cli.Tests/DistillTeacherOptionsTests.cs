using Edge.Testing;
using Xunit;

namespace Edge.Cli.Tests;

/// <summary>`edge distill`'s teacher kinds and fine-tuning options reject bad input with one line naming it.</summary>
public class DistillTeacherOptionsTests
{
    private static (int Code, string Err) Run(params string[] args)
    {
        var error = new StringWriter();
        int code = Program.Run(args, new StringWriter(), error);
        return (code, error.ToString());
    }

    private static void AssertCleanError((int Code, string Err) r, string expected)
    {
        Assert.Equal(2, r.Code);
        Assert.Contains(expected, r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public void UnreachableGrpcTeacherIsNamed()
    {
        using var dir = new TempDir();
        AssertCleanError(Run("distill", "--teacher", "grpc://127.0.0.1:1/fmnist", "--teacher-retries", "0", "--out", dir.File("run")),
            "grpc://127.0.0.1:1/fmnist");
    }

    [Fact]
    public void MissingTorchTeacherIsNamed()
    {
        using var dir = new TempDir();
        AssertCleanError(Run("distill", "--teacher", "torch:/nonexistent/run", "--out", dir.File("run")), "/nonexistent/run");
    }

    [Fact]
    public void BadLayerDecayEmaAndInitAreNamed()
    {
        using var dir = new TempDir();
        AssertCleanError(Run("distill", "--layer-decay", "1.5", "--out", dir.File("run")), "--layer-decay");
        AssertCleanError(Run("distill", "--ema", "1", "--out", dir.File("run")), "--ema");
        AssertCleanError(Run("distill", "--init", "/nonexistent/init", "--out", dir.File("run")), "/nonexistent/init");
    }
}
