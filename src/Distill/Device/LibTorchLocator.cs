using System.Diagnostics;
using System.Text.RegularExpressions;
using Edge.Core;

namespace Edge.Distill.Device;

/// <summary>Where a libtorch was found and how: the folder holding libtorch_cpu.so (and libtorch_cuda.so for CUDA).</summary>
public sealed record LibTorchLocation(string Folder, string Source, bool HasCuda, string? Version);

/// <summary>
/// The places <see cref="LibTorchLocator"/> looks, injectable so tests never depend on the machine's Python.
/// <paramref name="AskPython"/> returns the folder of the <c>torch</c> Python package, or null.
/// </summary>
public sealed record LibTorchProbe(Func<string, string?> Environment, Func<string?> AskPython, IReadOnlyList<string> SearchRoots)
{
    public static LibTorchProbe Machine { get; } = new(System.Environment.GetEnvironmentVariable, LibTorchLocator.AskPythonForTorch, LibTorchLocator.DefaultSearchRoots());

    /// <summary>Only the environment variable and the given roots: no Python process (tests).</summary>
    public static LibTorchProbe Offline(Func<string, string?> environment, IReadOnlyList<string> roots) => new(environment, () => null, roots);
}

/// <summary>
/// Finds a libtorch to run TorchSharp on. The NuGet package gives libtorch for CPU only, so CUDA (and the
/// self-contained bundle, which ships no libtorch at all) needs one from the machine: the folder named by
/// <c>EDGE_LIBTORCH</c>, else the <c>torch/lib</c> of a PyTorch installation (the one <c>python3</c> imports, then
/// the usual site-packages folders), else an error that explains both.
/// </summary>
public static class LibTorchLocator
{
    public const string Variable = "EDGE_LIBTORCH";
    private const string CpuLibrary = "libtorch_cpu.so";
    private const string CudaLibrary = "libtorch_cuda.so";

    /// <summary>The first libtorch found, or null. An <c>EDGE_LIBTORCH</c> that names no libtorch is an error, not a fall-through.</summary>
    public static LibTorchLocation? Find(LibTorchProbe probe, bool needCuda = false)
    {
        string? named = probe.Environment(Variable);
        if (!string.IsNullOrWhiteSpace(named))
        {
            var folder = LibFolder(named)
                ?? throw new EdgeException($"{Variable}={named} holds no {CpuLibrary} (looked in it, its lib/ and its torch/lib/ folders); point it at a libtorch lib folder such as a PyTorch installation's torch/lib");
            var hit = Describe(folder, Variable);
            if (needCuda && !hit.HasCuda)
                throw new EdgeException($"{Variable}={named} is a CPU-only libtorch (no {CudaLibrary} in {folder}); point it at a CUDA build, e.g. the torch/lib of `pip install torch` on a CUDA machine");
            return hit;
        }
        string? torchPackage = null;
        try { torchPackage = probe.AskPython(); }
        catch (Exception e) when (e is IOException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
        if (torchPackage is not null && LibFolder(torchPackage) is { } pyLib)
        {
            var hit = Describe(pyLib, "python3 (import torch)");
            if (!needCuda || hit.HasCuda) return hit;
        }
        foreach (var folder in SitePackageCandidates(probe.SearchRoots))
        {
            var hit = Describe(folder, "site-packages");
            if (!needCuda || hit.HasCuda) return hit;
        }
        return null;
    }

    /// <summary>Like <see cref="Find"/>, but a clear error naming both ways to provide libtorch when none is found.</summary>
    public static LibTorchLocation Require(LibTorchProbe probe, bool needCuda, string why)
    {
        return Find(probe, needCuda) ?? throw new EdgeException(
            $"{why} needs libtorch{(needCuda ? " built with CUDA" : "")}, and none was found: set {Variable} to a folder holding {(needCuda ? CudaLibrary : CpuLibrary)} "
            + $"(a PyTorch installation's torch/lib, or an unpacked libtorch's lib/), or install PyTorch so that `python3 -c 'import torch'` works"
            + $"{(needCuda ? " (a CUDA wheel, e.g. pip install torch --index-url https://download.pytorch.org/whl/cu130)" : "")}; searched python3 and {string.Join(", ", probe.SearchRoots)}");
    }

    /// <summary>The folder itself, its lib/ (an unpacked libtorch), or its torch/lib/ (a site-packages folder), whichever holds libtorch_cpu.so.</summary>
    public static string? LibFolder(string path)
    {
        foreach (var candidate in new[] { path, Path.Combine(path, "lib"), Path.Combine(path, "torch", "lib") })
            if (File.Exists(Path.Combine(candidate, CpuLibrary))) return Path.GetFullPath(candidate);
        return null;
    }

    public static LibTorchLocation Describe(string folder, string source) =>
        new(folder, source, File.Exists(Path.Combine(folder, CudaLibrary)), VersionOf(folder));

    /// <summary>
    /// libtorch has no version call in its C API, so read it from what ships beside it: PyTorch's torch/version.py,
    /// an unpacked libtorch's build-version, or the NuGet package folder name (…/libtorch-cpu-linux-x64/2.10.0/…).
    /// </summary>
    public static string? VersionOf(string folder)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(folder).TrimEnd('/'));
        if (parent is not null)
        {
            string py = Path.Combine(parent, "version.py");
            if (File.Exists(py))
            {
                var m = Regex.Match(File.ReadAllText(py), @"__version__\s*=\s*['""]([^'""]+)['""]");
                if (m.Success) return m.Groups[1].Value;
            }
            string build = Path.Combine(parent, "build-version");
            if (File.Exists(build)) return File.ReadAllText(build).Trim();
        }
        var nuget = Regex.Match(folder, @"libtorch-[a-z0-9.\-]+?/(\d+\.\d+\.\d+)/");
        return nuget.Success ? nuget.Groups[1].Value : null;
    }

    /// <summary>Asks python3 where its torch package is (importing torch takes a few seconds; bounded by a timeout).</summary>
    public static string? AskPythonForTorch()
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import os, torch; print(os.path.dirname(torch.__file__))");
        Process? p;
        try { p = Process.Start(start); }
        catch (System.ComponentModel.Win32Exception) { return null; } // no python3 on PATH
        if (p is null) return null;
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(60_000))
            {
                try { p.Kill(); } catch (InvalidOperationException) { }
                return null;
            }
            string line = stdout.GetAwaiter().GetResult().Trim();
            return p.ExitCode == 0 && line.Length > 0 && Directory.Exists(line) ? line : null;
        }
    }

    /// <summary>Folders that hold python3.X/{site,dist}-packages: system, user, virtualenv and conda prefixes.</summary>
    public static IReadOnlyList<string> DefaultSearchRoots()
    {
        string home = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
        var roots = new List<string> { "/usr/lib", "/usr/local/lib", Path.Combine(home, ".local", "lib") };
        foreach (var v in new[] { "VIRTUAL_ENV", "CONDA_PREFIX" })
            if (System.Environment.GetEnvironmentVariable(v) is { Length: > 0 } prefix) roots.Insert(0, Path.Combine(prefix, "lib"));
        return roots;
    }

    private static IEnumerable<string> SitePackageCandidates(IEnumerable<string> roots)
    {
        foreach (var root in roots.Where(Directory.Exists))
        {
            string[] pythons;
            try { pythons = Directory.GetDirectories(root, "python3*"); }
            catch (UnauthorizedAccessException) { continue; }
            Array.Sort(pythons, StringComparer.Ordinal);
            Array.Reverse(pythons); // newest python3.X first
            foreach (var py in pythons)
                foreach (var kind in new[] { "site-packages", "dist-packages" })
                {
                    string lib = Path.Combine(py, kind, "torch", "lib");
                    if (File.Exists(Path.Combine(lib, CpuLibrary))) yield return lib;
                }
        }
    }
}
