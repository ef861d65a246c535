using System.Reflection;
using System.Runtime.InteropServices;
using Edge.Core;
using TorchSharp;

namespace Edge.Distill.Device;

/// <summary>
/// Makes TorchSharp run on a libtorch from outside the application folder (a PyTorch installation's torch/lib).
///
/// Why not just LD_LIBRARY_PATH: TorchSharp loads its backend with <c>NativeLibrary.TryLoad("torch_cpu", assembly)</c>,
/// and .NET probes the application folder before the loader's search path, so a build that carries the NuGet
/// libtorch-cpu would map that copy — a second libtorch_cpu.so next to PyTorch's, each registering its operators.
/// Instead we load the external libraries by full path first (their sonames then satisfy every later DT_NEEDED,
/// including libLibTorchSharp.so's), and tell TorchSharp its backend is loaded so it never probes the application
/// folder. This must run before the first TorchSharp native call; a libtorch already mapped from elsewhere is an error.
/// </summary>
public static class LibTorchLoader
{
    private static readonly object Gate = new();

    /// <summary>The external libtorch this process runs on, once <see cref="Activate"/> succeeded; null: the bundled one (or none yet).</summary>
    public static LibTorchLocation? Active { get; private set; }

    /// <summary>Order matters only for the error message: each library's dependencies come before it.</summary>
    private static readonly string[] Libraries = ["libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"];

    public static void Activate(LibTorchLocation location)
    {
        lock (Gate)
        {
            if (Active is not null)
            {
                if (SameFolder(Active.Folder, location.Folder)) return;
                throw new EdgeException($"libtorch from {Active.Folder} is already loaded in this process; cannot switch to {location.Folder}");
            }
            var mapped = MappedLibTorchFolder();
            if (mapped is not null)
            {
                if (SameFolder(mapped, location.Folder)) { Active = location; return; }
                throw new EdgeException($"libtorch was already loaded from {mapped} before {location.Folder} ({location.Source}) could be used; set {LibTorchLocator.Variable} before starting edge");
            }
            foreach (var name in Libraries)
            {
                string path = Path.Combine(location.Folder, name);
                if (!File.Exists(path)) continue;
                try { NativeLibrary.Load(path); }
                catch (DllNotFoundException e)
                {
                    throw new EdgeException($"could not load {path} ({location.Source}): {FirstLine(e.Message)}");
                }
            }
            string bridge = TorchSharpNativeBridge()
                ?? throw new EdgeException($"libLibTorchSharp.so is missing beside {typeof(torch).Assembly.Location}; rebuild or re-publish edge");
            try { NativeLibrary.Load(bridge); }
            catch (DllNotFoundException e)
            {
                throw new EdgeException($"TorchSharp's native bridge does not load on libtorch {location.Version ?? "?"} from {location.Folder}: {FirstLine(e.Message)}; TorchSharp {TorchSharpVersion} is built for libtorch {torch.__version__}");
            }
            MarkBackendLoaded();
            Active = location;
        }
    }

    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "?";

    /// <summary>Whether this application folder carries the NuGet libtorch (a build does; the bundle does not).</summary>
    public static bool HasBundledLibTorch => BundledLibTorchFolder() is not null;

    public static string? BundledLibTorchFolder()
    {
        string app = AppContext.BaseDirectory;
        foreach (var dir in new[] { app, Path.Combine(app, "runtimes", "linux-x64", "native") })
            if (File.Exists(Path.Combine(dir, "libtorch_cpu.so"))) return dir;
        return null;
    }

    /// <summary>The folder libtorch_cpu.so is mapped from in this process (Linux /proc/self/maps), or null when not loaded yet.</summary>
    public static string? MappedLibTorchFolder()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return null;
        foreach (var line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            string path = line[slash..];
            if (path.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal)) return Path.GetDirectoryName(path);
        }
        return null;
    }

    private static void MarkBackendLoaded()
    {
        // TorchSharp 0.107 keeps these as private statics of torch; without them it would TryLoad the app folder's copies.
        foreach (var name in new[] { "nativeBackendLoaded", "nativeBackendCudaLoaded" })
        {
            var field = typeof(torch).GetField(name, BindingFlags.NonPublic | BindingFlags.Static)
                ?? throw new EdgeException($"TorchSharp {TorchSharpVersion} has no {name} flag; its loader changed, so an external libtorch cannot be used safely with this version (use the bundled CPU libtorch, or update LibTorchLoader)");
            field.SetValue(null, true);
        }
    }

    private static string? TorchSharpNativeBridge()
    {
        string asmDir = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? AppContext.BaseDirectory;
        foreach (var dir in new[] { AppContext.BaseDirectory, asmDir, Path.Combine(asmDir, "runtimes", "linux-x64", "native") })
        {
            string p = Path.Combine(dir, "libLibTorchSharp.so");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    private static bool SameFolder(string a, string b) =>
        string.Equals(RealPath(a), RealPath(b), StringComparison.Ordinal);

    private static string RealPath(string p)
    {
        var full = Path.GetFullPath(p).TrimEnd('/');
        try { return new DirectoryInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full; }
        catch (IOException) { return full; }
    }

    private static string FirstLine(string s) => s.Split('\n')[0];
}
