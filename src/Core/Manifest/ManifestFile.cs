using Edge.Core.IO;

namespace Edge.Core.Manifest;

/// <summary>A manifest read on its own, without the model it describes (a model served elsewhere, a remote teacher).</summary>
public sealed record ManifestFile(string Path, ModelManifest Manifest)
{
    /// <summary>A manifest .json, or a package folder holding manifest.json.</summary>
    public static ManifestFile Read(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full)) full = System.IO.Path.Combine(full, ModelPackage.ManifestFileName);
        if (!File.Exists(full))
            throw new EdgeException($"manifest not found: {full} (give a manifest .json or a package folder; see docs/MANIFEST.md)");
        var manifest = JsonFiles.Read<ModelManifest>(full);
        manifest.Validate(full);
        return new ManifestFile(full, manifest);
    }
}
