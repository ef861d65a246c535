using Edge.Core;
using Edge.Distill.Device;
using Edge.Testing;
using Xunit;

namespace Edge.Distill.Tests.Device;

public class TorchDevicesTests
{
    [Fact]
    public void CpuResolves() => Assert.Equal(TorchSharp.DeviceType.CPU, TorchDevices.Resolve("cpu").type);

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
        var e = Assert.Throws<EdgeException>(() => TorchDevices.Resolve("cuda", _ => null, [empty.Path]));
        Assert.Contains(TorchDevices.LibTorchVariable, e.Message);
        var e2 = Assert.Throws<EdgeException>(() => TorchDevices.Resolve("cuda", v => v == TorchDevices.LibTorchVariable ? empty.Path : null, []));
        Assert.Contains("libtorch_cuda.so", e2.Message);
    }
}
