using Edge.Core;
using TorchSharp;

namespace Edge.Distill.Device;

/// <summary>
/// Turns "cpu" / "cuda" / "cuda:1" into a TorchSharp device, making sure a usable libtorch is loaded first. The
/// build carries the NuGet libtorch for CPU; CUDA, or a bundle without libtorch, uses the one
/// <see cref="LibTorchLocator"/> finds (EDGE_LIBTORCH, else PyTorch's torch/lib), loaded by <see cref="LibTorchLoader"/>.
/// </summary>
public static class TorchDevices
{
    public const string LibTorchVariable = LibTorchLocator.Variable;

    public static torch.Device Resolve(string name, LibTorchProbe? probe = null)
    {
        string n = name.Trim().ToLowerInvariant();
        bool cuda = n == "cuda" || n.StartsWith("cuda:", StringComparison.Ordinal);
        if (n != "cpu" && !cuda)
            throw new EdgeException($"unknown device '{name}': use cpu or cuda (cuda:N for another GPU)");
        int index = 0;
        if (n.Length > 5 && !int.TryParse(n[5..], out index))
            throw new EdgeException($"unknown device '{name}': use cuda:N with N a GPU number");
        EnsureLibTorch(probe ?? LibTorchProbe.Machine, cuda, cuda ? "--device cuda" : "training");
        if (!cuda) return torch.CPU;
        if (!torch.cuda.is_available())
            throw new EdgeException($"libtorch from {LibTorchLoader.Active?.Folder ?? "the bundle"} has CUDA but no CUDA GPU is usable here (driver missing or no device); use --device cpu");
        int count = torch.cuda.device_count();
        if (index >= count)
            throw new EdgeException($"--device {name}: this machine has {count} CUDA GPU(s) (cuda:0..cuda:{count - 1})");
        return new torch.Device(DeviceType.CUDA, index);
    }

    /// <summary>
    /// Loads an external libtorch when one is named (EDGE_LIBTORCH), needed (CUDA) or the only option (a bundle
    /// without libtorch); otherwise leaves TorchSharp to load the bundled CPU libtorch.
    /// </summary>
    public static void EnsureLibTorch(LibTorchProbe probe, bool needCuda, string why)
    {
        if (LibTorchLoader.Active is { } active)
        {
            if (needCuda && !active.HasCuda)
                throw new EdgeException($"{why} needs libtorch with CUDA but this process runs on the CPU-only libtorch in {active.Folder} ({active.Source}); point {LibTorchVariable} at a CUDA build");
            return;
        }
        bool named = !string.IsNullOrWhiteSpace(probe.Environment(LibTorchVariable));
        if (!named && !needCuda && LibTorchLoader.HasBundledLibTorch) return;
        if (!named && needCuda && LibTorchLoader.MappedLibTorchFolder() is { } mapped)
            throw new EdgeException($"{why} needs libtorch with CUDA, but the CPU libtorch in {mapped} is already loaded in this process; set {LibTorchVariable} to a CUDA libtorch (a PyTorch installation's torch/lib) before starting edge");
        LibTorchLoader.Activate(LibTorchLocator.Require(probe, needCuda, why));
    }
}
