using System.Runtime.InteropServices;
using Edge.Core;
using TorchSharp;

namespace Edge.Distill.Device;

/// <summary>
/// Turns "cpu" / "cuda" / "cuda:1" into a TorchSharp device. The build ships libtorch for CPU only; for CUDA the
/// libtorch CUDA libraries are loaded from <c>EDGE_LIBTORCH</c> (a folder holding libtorch_cuda.so) or from a
/// PyTorch installation's <c>torch/lib</c>, before TorchSharp initialises the device type.
/// </summary>
public static class TorchDevices
{
    public const string LibTorchVariable = "EDGE_LIBTORCH";

    public static torch.Device Resolve(string name, Func<string, string?>? environment = null, IEnumerable<string>? searchRoots = null)
    {
        string n = name.Trim().ToLowerInvariant();
        if (n == "cpu") return torch.CPU;
        if (n != "cuda" && !n.StartsWith("cuda:", StringComparison.Ordinal))
            throw new EdgeException($"unknown device '{name}': use cpu or cuda (cuda:N for another GPU)");
        int index = 0;
        if (n.Length > 5 && !int.TryParse(n[5..], out index))
            throw new EdgeException($"unknown device '{name}': use cuda:N with N a GPU number");
        EnsureCuda(environment ?? Environment.GetEnvironmentVariable, searchRoots ?? DefaultSearchRoots());
        return new torch.Device(DeviceType.CUDA, index);
    }

    private static readonly object Gate = new();
    private static bool _cudaReady;

    private static void EnsureCuda(Func<string, string?> env, IEnumerable<string> roots)
    {
        lock (Gate)
        {
            if (_cudaReady) return;
            var folder = FindLibTorchCuda(env, roots)
                ?? throw new EdgeException($"--device cuda needs libtorch with CUDA: set {LibTorchVariable} to a folder containing libtorch_cuda.so (e.g. a PyTorch install's torch/lib), or use --device cpu");
            try
            {
                foreach (var lib in new[] { "libc10_cuda.so", "libtorch_cuda.so" })
                {
                    string p = Path.Combine(folder, lib);
                    if (File.Exists(p)) NativeLibrary.Load(p);
                }
                torch.InitializeDeviceType(DeviceType.CUDA);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or InvalidOperationException or NotSupportedException)
            {
                throw new EdgeException($"could not load libtorch CUDA from {folder}: {e.Message.Split('\n')[0]}; check that its version matches libtorch 2.10, or use --device cpu");
            }
            if (!torch.cuda.is_available())
                throw new EdgeException($"libtorch CUDA loaded from {folder} but no CUDA GPU is available; use --device cpu");
            _cudaReady = true;
        }
    }

    /// <summary>The first folder that holds libtorch_cuda.so: EDGE_LIBTORCH, then PyTorch installations.</summary>
    public static string? FindLibTorchCuda(Func<string, string?> env, IEnumerable<string> roots)
    {
        string? explicitDir = env(LibTorchVariable);
        if (!string.IsNullOrWhiteSpace(explicitDir))
        {
            if (File.Exists(Path.Combine(explicitDir, "libtorch_cuda.so"))) return explicitDir;
            if (File.Exists(Path.Combine(explicitDir, "lib", "libtorch_cuda.so"))) return Path.Combine(explicitDir, "lib");
            throw new EdgeException($"{LibTorchVariable}={explicitDir} holds no libtorch_cuda.so (looked in it and in its lib/ folder)");
        }
        foreach (var root in roots.Where(Directory.Exists))
        {
            IEnumerable<string> candidates;
            try { candidates = Directory.EnumerateDirectories(root, "python3*").Select(d => Path.Combine(d, "site-packages", "torch", "lib"))
                    .Concat(Directory.EnumerateDirectories(root, "python3*").Select(d => Path.Combine(d, "dist-packages", "torch", "lib"))); }
            catch (UnauthorizedAccessException) { continue; }
            var hit = candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "libtorch_cuda.so")));
            if (hit is not null) return hit;
        }
        return null;
    }

    private static IEnumerable<string> DefaultSearchRoots()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        yield return "/usr/lib";
        yield return "/usr/local/lib";
        yield return Path.Combine(home, ".local", "lib");
        string? venv = Environment.GetEnvironmentVariable("VIRTUAL_ENV");
        if (venv is not null) yield return Path.Combine(venv, "lib");
        string? conda = Environment.GetEnvironmentVariable("CONDA_PREFIX");
        if (conda is not null) yield return Path.Combine(conda, "lib");
    }
}
