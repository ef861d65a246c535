using System.Diagnostics;
using System.Text.Json;
using Edge.Testing;
using Xunit;

namespace Edge.Cli.Tests;

public class DoctorCommandTests
{
    [Fact]
    public void DoctorReportsTheStackAndRunsATrainingStepOnCpu()
    {
        var output = new StringWriter();
        int code = Program.Run(["doctor", "--json"], output, new StringWriter());
        using var doc = JsonDocument.Parse(output.ToString());
        var r = doc.RootElement;
        Assert.True(code == 0, output.ToString());
        Assert.StartsWith("0.107", r.GetProperty("torch_sharp").GetString());
        Assert.False(string.IsNullOrEmpty(r.GetProperty("lib_torch_folder").GetString()));
        Assert.Contains("CPUExecutionProvider", r.GetProperty("onnx_providers").EnumerateArray().Select(p => p.GetString()));
        var steps = r.GetProperty("steps").EnumerateArray().ToArray();
        Assert.Contains(steps, s => s.GetProperty("device").GetString() == "cpu" && s.GetProperty("precision").GetString() == "fp32" && s.GetProperty("ok").GetBoolean());
        Assert.Contains(steps, s => s.GetProperty("precision").GetString() == "bf16");
    }

    [Fact]
    public void DoctorTextNamesEveryPart()
    {
        var output = new StringWriter();
        Program.Run(["doctor", "--no-steps"], output, new StringWriter());
        string text = output.ToString();
        foreach (var part in new[] { ".NET", "CPU", "TorchSharp", "libtorch", "CUDA", "ONNX Runtime" })
            Assert.Contains(part, text);
    }

    /// <summary>The external-libtorch path, in a fresh process (it must run before TorchSharp loads): the NuGet libtorch folder stands in for PyTorch's torch/lib.</summary>
    [Fact]
    public void AnExternalLibTorchFolderIsLoadedAndTrains()
    {
        string nuget = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages", "libtorch-cpu-linux-x64", "2.10.0", "runtimes", "linux-x64", "native");
        Assert.True(File.Exists(Path.Combine(nuget, "libtorch_cpu.so")), "restore the libtorch-cpu-linux-x64 2.10.0 package first");
        var (code, stdout, stderr) = RunEdge(["doctor", "--json"], nuget);
        Assert.True(code == 0, stdout + stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(nuget, doc.RootElement.GetProperty("lib_torch_folder").GetString());
        Assert.Equal("EDGE_LIBTORCH", doc.RootElement.GetProperty("lib_torch_source").GetString());
        Assert.Equal("2.10.0", doc.RootElement.GetProperty("lib_torch_version").GetString());
        Assert.Equal(new[] { nuget }, doc.RootElement.GetProperty("lib_torch_mapped_from").EnumerateArray().Select(e => e.GetString() ?? "").ToArray());
    }

    [Fact]
    public void AWrongLibTorchFolderIsExplained()
    {
        using var empty = new TempDir();
        var (code, stdout, _) = RunEdge(["doctor", "--no-steps"], empty.Path);
        Assert.Equal(1, code);
        Assert.Contains($"EDGE_LIBTORCH={empty.Path} holds no libtorch_cpu.so", stdout);
    }

    /// <summary>
    /// A libtorch other than the build's own would be loaded next to it (TorchSharp probes the application folder
    /// first) and abort on duplicate operator registrations: the build refuses and names the way out.
    /// </summary>
    [Fact]
    public void AnotherLibTorchNextToTheBuildsOwnIsRefused()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "libtorch_cpu.so"), "not the build's libtorch");
        var (code, stdout, _) = RunEdge(["doctor", "--no-steps"], dir.Path);
        Assert.Equal(1, code);
        Assert.Contains("carries its own CPU libtorch", stdout);
        Assert.Contains("-p:EdgeNoLibTorch=true", stdout);
    }

    private static (int Code, string Stdout, string Stderr) RunEdge(string[] args, string libtorch)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edge.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["EDGE_LIBTORCH"] = libtorch;
        start.Environment["EDGE_NO_RELAUNCH"] = "1";
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(180_000), "edge doctor did not finish in 3 minutes");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
