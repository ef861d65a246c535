using Edge.Core;
using Edge.Distill.Device;
using Edge.Testing;
using Xunit;

namespace Edge.Distill.Tests.Device;

public class TorchDevicesTests
{
    [Fact]
    public void CpuResolves() => Assert.Equal(TorchSharp.DeviceType.CPU, TorchDevices.Resolve("cpu", LibTorchProbe.Offline(_ => null, [])).type);

    [Fact]
    public void UnknownDeviceIsRefused()
    {
        var e = Assert.Throws<EdgeException>(() => TorchDevices.Resolve("tpu"));
        Assert.Contains("cpu or cuda", e.Message);
    }

    [Fact]
    public void CudaWithoutLibTorchCudaSaysWhatToSet()
    {
        using var empty = new TempDir();
        var e = Assert.Throws<EdgeException>(() => TorchDevices.Resolve("cuda", LibTorchProbe.Offline(_ => null, [empty.Path])));
        Assert.Contains(TorchDevices.LibTorchVariable, e.Message);
        var e2 = Assert.Throws<EdgeException>(() => TorchDevices.Resolve("cuda", LibTorchProbe.Offline(v => v == TorchDevices.LibTorchVariable ? empty.Path : null, [])));
        Assert.Contains("libtorch_cpu.so", e2.Message);
        Assert.Contains(empty.Path, e2.Message);
    }
}

public class LibTorchLocatorTests
{
    /// <summary>A fake libtorch folder: empty files with the names the locator looks for.</summary>
    private static string FakeLib(string root, bool cuda, string? version = null)
    {
        string lib = Path.Combine(root, "torch", "lib");
        Directory.CreateDirectory(lib);
        File.WriteAllText(Path.Combine(lib, "libtorch_cpu.so"), "");
        if (cuda) File.WriteAllText(Path.Combine(lib, "libtorch_cuda.so"), "");
        if (version is not null) File.WriteAllText(Path.Combine(root, "torch", "version.py"), $"__version__ = '{version}'\ngit_version = 'x'\n");
        return lib;
    }

    [Fact]
    public void EnvironmentVariableWinsAndAcceptsTheInstallRootOrItsLibFolder()
    {
        using var dir = new TempDir();
        string lib = FakeLib(dir.Path, cuda: true, version: "2.11.0+cu130");
        foreach (var given in new[] { lib, Path.Combine(dir.Path, "torch"), dir.Path })
        {
            var hit = LibTorchLocator.Find(new LibTorchProbe(v => v == LibTorchLocator.Variable ? given : null, () => throw new InvalidOperationException("python must not be asked"), []))!;
            Assert.Equal(lib, hit.Folder);
            Assert.Equal(LibTorchLocator.Variable, hit.Source);
            Assert.True(hit.HasCuda);
            Assert.Equal("2.11.0+cu130", hit.Version);
        }
    }

    [Fact]
    public void PythonThenSitePackagesAreAskedWhenTheVariableIsUnset()
    {
        using var py = new TempDir();
        using var roots = new TempDir();
        string pyLib = FakeLib(py.Path, cuda: false);
        var fromPython = LibTorchLocator.Find(new LibTorchProbe(_ => null, () => Path.Combine(py.Path, "torch"), []))!;
        Assert.Equal(pyLib, fromPython.Folder);
        Assert.False(fromPython.HasCuda);

        string site = Path.Combine(roots.Path, "python3.12", "site-packages");
        string siteLib = FakeLib(site, cuda: true);
        // CPU-only PyTorch from python3 does not satisfy a CUDA request; the site-packages CUDA build does.
        var cuda = LibTorchLocator.Find(new LibTorchProbe(_ => null, () => Path.Combine(py.Path, "torch"), [roots.Path]), needCuda: true)!;
        Assert.Equal(siteLib, cuda.Folder);
        Assert.Equal("site-packages", cuda.Source);
    }

    [Fact]
    public void NothingFoundExplainsBothWays()
    {
        using var empty = new TempDir();
        var e = Assert.Throws<EdgeException>(() => LibTorchLocator.Require(LibTorchProbe.Offline(_ => null, [empty.Path]), needCuda: true, "--device cuda"));
        Assert.Contains(LibTorchLocator.Variable, e.Message);
        Assert.Contains("import torch", e.Message);
        Assert.Contains("libtorch_cuda.so", e.Message);
        Assert.Contains(empty.Path, e.Message);
    }

    [Fact]
    public void ACpuOnlyLibTorchNamedForCudaIsRefused()
    {
        using var dir = new TempDir();
        string lib = FakeLib(dir.Path, cuda: false);
        var e = Assert.Throws<EdgeException>(() => LibTorchLocator.Find(LibTorchProbe.Offline(v => v == LibTorchLocator.Variable ? lib : null, []), needCuda: true));
        Assert.Contains("CPU-only", e.Message);
    }

    [Fact]
    public void NuGetFolderVersionIsRead() =>
        Assert.Equal("2.10.0", LibTorchLocator.VersionOf("/root/.nuget/packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native"));
}
