using Edge.Testing;
using Xunit;

namespace Edge.Cli.Tests;

/// <summary><c>edge distill cache</c>: generate in shards, merge, check against the teacher, and refuse damaged caches.</summary>
public class DistillCacheCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string[] Cache(string dir, params string[] extra) =>
        ["distill", "cache", "--out", dir, "--teacher", TestPaths.Teacher, "--data", "fashion-mnist", "--train-samples", "48",
         "--seed", "3", "--augment", "flip,translate=3,rrc=0.6", "--top-k", "4", .. extra];

    [Fact]
    public void ShardsMergeAndTheMergedCacheChecksAgainstTheTeacher()
    {
        TestPaths.RequireFashionMnist();
        using var s0 = new TempDir();
        using var s1 = new TempDir();
        using var merged = new TempDir();
        var r = Run(Cache(s0.Path, "--shard", "0/2"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("shard 0/2 of 48 images", r.Out);
        Assert.Equal(0, Run(Cache(s1.Path, "--shard", "1/2")).Code);

        r = Run("distill", "cache", "merge", s0.Path, "--out", merged.Path);
        Assert.Equal(2, r.Code);
        Assert.Contains("missing", r.Err);
        Assert.Contains("shard-1of2", r.Err);

        r = Run("distill", "cache", "merge", s0.Path, s1.Path, "--out", merged.Path);
        Assert.True(r.Code == 0, r.Err);
        Assert.True(File.Exists(Path.Combine(merged.Path, "epoch-001.fpd")));

        // Rerunning on the complete cache writes nothing and only checks.
        r = Run(Cache(merged.Path, "--check-cache", "12"));
        Assert.True(r.Code == 0, r.Out + r.Err);
        Assert.Contains("0 file(s) written", r.Out);
        Assert.Contains("12 records replayed", r.Out);
        Assert.Contains("OK", r.Out);

        // An impossible tolerance fails the check with exit code 1.
        r = Run(Cache(merged.Path, "--check-cache", "12", "--tolerance", "0"));
        Assert.Equal(1, r.Code);
        Assert.Contains("FAILED", r.Out);
    }

    [Fact]
    public void ACorruptCacheIsNamedWhenTrainingFromIt()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        using var run = new TempDir();
        Assert.Equal(0, Run(Cache(dir.Path)).Code);
        string file = Path.Combine(dir.Path, "epoch-001.fpd");
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);
        var r = Run("distill", "--teacher-cache", dir.Path, "--teacher", TestPaths.Teacher, "--data", "fashion-mnist", "--train-samples", "48",
            "--seed", "3", "--epochs", "1", "--out", run.Path, "--no-plots");
        Assert.Equal(2, r.Code);
        Assert.Contains(file, r.Err);
        Assert.Contains("truncated", r.Err);
        Assert.Contains("--shard", Run("distill", "cache", "--out", dir.Path, "--shard", "2/2").Err);
        Assert.Contains("mixup", Run("distill", "cache", "--out", dir.Path, "--augment", "flip,mixup=0.8").Err);
    }
}
