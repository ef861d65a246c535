using System.Reflection;
using System.Runtime.InteropServices;
using Edge.Core;
using TorchSharp;

namespace Edge.Distill.Device;

/// <summary>
/// Makes TorchSharp run on a libtorch from outside the application folder (a PyTorch installation's torch/lib).
///
/// TorchSharp loads its backend with <c>NativeLibrary.TryLoad("torch_cpu", assembly)</c> from its type initializer,
/// and .NET probes the application folder before anything else, so an application folder that carries the NuGet
/// libtorch-cpu maps that copy next to the external one: two libtorch_cpu.so in one process abort on duplicate
/// operator registrations (seen on CPU with a copied libtorch: "Tried to register multiple backend fallbacks").
/// An external libtorch is therefore used only by an application without its own copy (the GPU bundle,
/// <c>-p:EdgeNoLibTorch=true</c>): we load its libraries by full path first, and every later lookup by name —
/// TorchSharp's TryLoad("torch_cpu"/"torch_cuda") and libLibTorchSharp.so's DT_NEEDED entries — resolves to them
/// through their sonames. The start script also puts the folder on LD_LIBRARY_PATH for what libtorch loads later.
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
            if (BundledLibTorchFolder() is { } bundled && !SameLibrary(Path.Combine(bundled, "libtorch_cpu.so"), Path.Combine(location.Folder, "libtorch_cpu.so")))
                throw new EdgeException($"this edge build carries its own CPU libtorch ({bundled}), which TorchSharp would load next to the one in {location.Folder} ({location.Source}); "
                    + "use the GPU bundle (scripts/bundle.sh, then edge-gpu.sh) or build with -p:EdgeNoLibTorch=true to run on an external libtorch, or unset " + LibTorchLocator.Variable + " to use the bundled CPU libtorch");
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
                throw new EdgeException($"TorchSharp's native bridge does not load on libtorch {location.Version ?? "?"} from {location.Folder}: {FirstLine(e.Message)}; TorchSharp {TorchSharpVersion} targets libtorch 2.10 (PyTorch 2.11 has been reported to work)");
            }
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
    public static string? MappedLibTorchFolder() => MappedLibTorchFolders().FirstOrDefault();

    /// <summary>Every folder a libtorch_cpu.so is mapped from: more than one means two libtorch copies in one process.</summary>
    public static IReadOnlyList<string> MappedLibTorchFolders()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return [];
        var folders = new List<string>();
        foreach (var line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            string path = line[slash..];
            if (path.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal) && Path.GetDirectoryName(path) is { } dir && !folders.Contains(dir))
                folders.Add(dir);
        }
        return folders;
    }

    /// <summary>
    /// Whether two paths are the same file. .NET has no inode API; a hard link (how builds copy NuGet files) shares
    /// size and modification time, an independent copy or another build does not.
    /// </summary>
    private static bool SameLibrary(string a, string b)
    {
        var fa = new FileInfo(a);
        var fb = new FileInfo(b);
        return fa.Exists && fb.Exists && fa.Length == fb.Length && fa.LastWriteTimeUtc == fb.LastWriteTimeUtc;
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
