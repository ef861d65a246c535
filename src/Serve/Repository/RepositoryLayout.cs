using System.Globalization;
using System.Text.RegularExpressions;
using Edge.Core;
using Edge.Core.Manifest;

namespace Edge.Serve.Repository;

/// <summary>
/// A version folder found on disk, with a stamp that changes whenever any of its files changes. With an Edge manifest
/// it is an image classifier package; without one, a plain tensor model (its ONNX file and nothing else).
/// </summary>
public sealed record VersionFolder(string Model, long Version, string Path, string Stamp, bool HasManifest);

/// <summary>
/// Reads a Triton-style model repository: <c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/</c>, each version folder holding an
/// ONNX file (<c>model.onnx</c>, or the one a manifest or configuration names) and, for an Edge package,
/// manifest.json. A folder that itself holds manifest.json is served as one model
/// (named by its manifest), version 1. Only folder names matching <see cref="IsValidModelName"/> and numeric
/// version names count, and a linked folder that resolves outside the repository is skipped: request names are only
/// ever looked up among what this scan found, so no request can reach a path outside the repository.
/// </summary>
public static partial class RepositoryLayout
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]
    private static partial Regex ModelNamePattern();

    public static bool IsValidModelName(string name) => ModelNamePattern().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    public const string DefaultModelFile = "model.onnx";

    public static bool IsSinglePackage(string root) => File.Exists(Path.Combine(root, ModelPackage.ManifestFileName));

    /// <summary>Every complete-looking version folder (manifest present), with the reasons others were skipped.</summary>
    public static (IReadOnlyList<VersionFolder> Found, IReadOnlyList<string> Skipped) Scan(string root)
    {
        string full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
            throw new EdgeException($"model repository not found: {full}");
        var found = new List<VersionFolder>();
        var skipped = new List<string>();
        if (IsSinglePackage(full))
        {
            var manifest = ModelPackage.Load(full).Manifest;
            if (!IsValidModelName(manifest.Name))
                throw new EdgeException($"{full}: model name '{manifest.Name}' in manifest.json is not a valid served name (letters, digits, '_', '-', '.'; at most 100)");
            found.Add(new VersionFolder(manifest.Name, 1, full, StampOf(full), HasManifest: true));
            return (found, skipped);
        }

        string rootReal = Directory.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full;
        foreach (var modelDir in Directory.EnumerateDirectories(full).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(modelDir);
            if (name.StartsWith('.'))
                continue;
            if (!IsValidModelName(name))
            {
                skipped.Add($"{modelDir}: '{name}' is not a valid model name (letters, digits, '_', '-', '.')");
                continue;
            }
            if (!StaysInside(modelDir, full, rootReal))
            {
                skipped.Add($"{modelDir}: links outside the repository");
                continue;
            }
            foreach (var v in ScanVersions(name, modelDir, full, rootReal, skipped))
                found.Add(v);
        }
        return (found, skipped);
    }

    /// <summary>The version folders of one model folder (a repository's, or one a load request uploaded).</summary>
    public static IEnumerable<VersionFolder> ScanVersions(string name, string modelDir, string root, string rootReal, List<string> skipped)
    {
        foreach (var versionDir in Directory.EnumerateDirectories(modelDir).Order(StringComparer.Ordinal))
        {
            string v = Path.GetFileName(versionDir);
            if (v.StartsWith('.'))
                continue;
            if (!long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out long version) || version < 1)
            {
                skipped.Add($"{versionDir}: version folders are positive integers");
                continue;
            }
            if (!StaysInside(versionDir, root, rootReal))
            {
                skipped.Add($"{versionDir}: links outside the repository");
                continue;
            }
            bool manifest = File.Exists(Path.Combine(versionDir, ModelPackage.ManifestFileName));
            if (!manifest && !Directory.EnumerateFiles(versionDir, "*.onnx").Any())
            {
                skipped.Add($"{versionDir}: no ONNX file or {ModelPackage.ManifestFileName} (yet)");
                continue;
            }
            yield return new VersionFolder(name, version, versionDir, StampOf(versionDir), manifest);
        }
    }

    private static string StampOf(string dir)
    {
        long size = 0, newest = 0;
        int count = 0;
        foreach (var file in new DirectoryInfo(dir).EnumerateFiles())
        {
            if (file.Name.StartsWith('.'))
                continue; // AtomicFile's temporaries
            size += file.Length;
            newest = Math.Max(newest, file.LastWriteTimeUtc.Ticks);
            count++;
        }
        return $"{count}:{size}:{newest}";
    }

    /// <summary>True unless <paramref name="dir"/> is a link whose final target lies outside the repository.</summary>
    private static bool StaysInside(string dir, string root, string rootReal)
    {
        var target = Directory.ResolveLinkTarget(dir, returnFinalTarget: true);
        return target is null || IsInside(target.FullName, root) || IsInside(target.FullName, rootReal);
    }

    private static bool IsInside(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);
}
