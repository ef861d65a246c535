using System.Runtime.InteropServices;
using System.Text;

namespace Edge.Distill.Device;

/// <summary>One GPU as the CUDA driver reports it.</summary>
public sealed record GpuInfo(int Index, string Name, long TotalBytes, long? FreeBytes);

/// <summary>
/// GPU names and memory straight from the CUDA driver (libcuda.so.1, present on every CUDA host): TorchSharp 0.107
/// exposes neither, and asking nvidia-smi would need a process and its parser. Absent driver: an empty list.
/// </summary>
public static class CudaDriver
{
    private const string Lib = "libcuda.so.1";

    [DllImport(Lib)] private static extern int cuInit(uint flags);
    [DllImport(Lib)] private static extern int cuDeviceGetCount(out int count);
    [DllImport(Lib)] private static extern int cuDeviceGet(out int device, int ordinal);
    [DllImport(Lib)] private static extern int cuDeviceGetName(byte[] name, int len, int device);
    [DllImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] private static extern int cuDeviceTotalMem(out nuint bytes, int device);
    [DllImport(Lib)] private static extern int cuDriverGetVersion(out int version);

    /// <summary>The driver's CUDA version (e.g. "13.0"), or null without a driver.</summary>
    public static string? DriverVersion()
    {
        try
        {
            if (cuDriverGetVersion(out int v) != 0) return null;
            return $"{v / 1000}.{v % 1000 / 10}";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }

    public static IReadOnlyList<GpuInfo> Gpus()
    {
        try
        {
            if (cuInit(0) != 0 || cuDeviceGetCount(out int count) != 0) return [];
            var list = new List<GpuInfo>();
            for (int i = 0; i < count; i++)
            {
                if (cuDeviceGet(out int dev, i) != 0) continue;
                var name = new byte[256];
                string text = cuDeviceGetName(name, name.Length, dev) == 0 ? Encoding.ASCII.GetString(name).TrimEnd('\0') : "?";
                long total = cuDeviceTotalMem(out nuint bytes, dev) == 0 ? (long)bytes : 0;
                list.Add(new GpuInfo(i, text, total, null));
            }
            return list;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return []; }
    }
}
