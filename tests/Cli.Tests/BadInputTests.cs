using Edge.Core.Manifest;
using Edge.Core.Preprocessing;
using Edge.Testing;
using Xunit;

namespace Edge.Cli.Tests;

/// <summary>
/// Bad input anywhere in the `edge` command: one line naming the problem, exit code 2, no stack trace, and no
/// half-written artifact left behind.
/// </summary>
public class BadInputTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static void AssertCleanError((int Code, string Out, string Err) r, string expected)
    {
        Assert.Equal(2, r.Code);
        Assert.Contains(expected, r.Err);
        Assert.DoesNotContain("   at ", r.Err); // no stack trace
        Assert.StartsWith("error: ", r.Err);
    }

    [Fact]
    public void UnknownOptionIsUsageError() => AssertCleanError(Run("quantize", "--model", "x", "--out", "y", "--bogus"), "--bogus");

    [Fact]
    public void UnknownVerbIsUsageError() => AssertCleanError(Run("distil"), "distil");

    [Fact]
    public void MissingModelIsNamed() =>
        AssertCleanError(Run("inspect", "/nonexistent/model.onnx"), "/nonexistent/model.onnx");

    [Fact]
    public void ExportOfMissingRunIsNamed()
    {
        using var dir = new TempDir();
        var r = Run("export", "--run", dir.File("no-run"), "--out", dir.File("pkg"));
        AssertCleanError(r, "distill run folder not found");
        Assert.False(Directory.Exists(dir.File("pkg")));
    }

    [Fact]
    public void NonOnnxFileIsNamed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("fake.onnx"), "not a model");
        AssertCleanError(Run("inspect", dir.File("fake.onnx")), "not a valid ONNX file");
    }

    [Fact]
    public void EmptyCalibrationSetFailsAndWritesNothing()
    {
        using var dir = new TempDir();
        var r = Run("quantize", "--model", TestPaths.Teacher, "--out", dir.File("int8"), "--calibration-samples", "0");
        AssertCleanError(r, "calibration set is empty");
        Assert.False(Directory.Exists(dir.File("int8")));
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void UnknownGraphPassIsNamedAndWritesNothing()
    {
        using var dir = new TempDir();
        var r = Run("quantize", "--model", TestPaths.Teacher, "--out", dir.File("int8"), "--mode", "dynamic", "--graph-pass", "pointwise-convs");
        AssertCleanError(r, "unknown graph pass 'pointwise-convs'");
        Assert.False(Directory.Exists(dir.File("int8")));
    }

    [Fact]
    public void QuantizingIntoTheSourceFolderIsRefused()
    {
        var r = Run("quantize", "--model", TestPaths.Teacher, "--out", Path.GetDirectoryName(TestPaths.Teacher)!);
        AssertCleanError(r, "never modifies its input");
    }

    [Fact]
    public void TeacherWithoutAManifestSaysHowToImportIt()
    {
        TestPaths.RequireFashionMnist();
        using var dir = new TempDir();
        TinyModels.WriteChannelMean(dir.File("rgb-teacher.onnx"), 3, 32, 32);
        var r = Run("distill", "--teacher", dir.File("rgb-teacher.onnx"), "--out", dir.File("run"), "--epochs", "1");
        AssertCleanError(r, "edge import");
        Assert.False(File.Exists(Path.Combine(dir.File("run"), "student.weights")));
    }

    [Fact]
    public void CorruptDatasetIsNamed()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("data"));
        File.WriteAllBytes(dir.File("data/train-images-idx3-ubyte"), [0, 0, 8, 1, 0, 0, 0, 1]);
        File.WriteAllBytes(dir.File("data/train-labels-idx1-ubyte"), [0, 0, 8, 1, 0, 0, 0, 1, 0]);
        File.WriteAllBytes(dir.File("data/t10k-images-idx3-ubyte"), [0, 0, 8, 1, 0, 0, 0, 1]);
        File.WriteAllBytes(dir.File("data/t10k-labels-idx1-ubyte"), [0, 0, 8, 1, 0, 0, 0, 1, 0]);
        var r = Run("distill", "--data", dir.File("data"), "--out", dir.File("run"), "--epochs", "1");
        AssertCleanError(r, "magic");
    }

    [Fact]
    public void EveryVerbHasHelp()
    {
        foreach (var verb in new[] { "quickstart", "distill", "export", "quantize", "gate", "serve", "inspect" })
        {
            var r = Run(verb, "--help");
            Assert.Equal(0, r.Code);
            Assert.Contains("Usage:", r.Out);
        }
    }
}
