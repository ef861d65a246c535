using Edge.Core.IO;

namespace Edge.Core.Manifest;

/// <summary>
/// An ONNX file plus its manifest. On disk: a folder holding <c>manifest.json</c> and the model file it names,
/// or a bare <c>name.onnx</c> with <c>name.manifest.json</c> beside it. Written atomically: model first, then
/// the manifest, each through a temp file, so a reader never sees a manifest for a model that is not complete.
/// </summary>
public sealed record ModelPackage(string ModelPath, string ManifestPath, ModelManifest Manifest)
{
    public const string ManifestFileName = "manifest.json";

    /// <summary>Accepts a package folder, a manifest file, or an .onnx file with a sidecar manifest.</summary>
    public static ModelPackage Load(string path)
    {
        string full = Path.GetFullPath(path);
        string manifestPath;
        if (Directory.Exists(full))
            manifestPath = Path.Combine(full, ManifestFileName);
        else if (full.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            manifestPath = full;
        else if (full.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || full.EndsWith(".ort", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(full))
                throw new EdgeException($"model not found: {full}");
            manifestPath = SidecarOf(full);
            if (!File.Exists(manifestPath) && File.Exists(Path.Combine(Path.GetDirectoryName(full)!, ManifestFileName)))
                manifestPath = Path.Combine(Path.GetDirectoryName(full)!, ManifestFileName);
        }
        else
            throw new EdgeException($"not a model package: {full} (expected a folder with {ManifestFileName}, a manifest .json, or an .onnx file)");

        if (!File.Exists(manifestPath))
            throw new EdgeException($"no manifest for {full}: expected {manifestPath}. Edge needs the manifest for labels and preprocessing; create it with `edge export` or write one (see docs/MANIFEST.md)");
        var manifest = JsonFiles.Read<ModelManifest>(manifestPath);
        manifest.Validate(manifestPath);
        string modelPath = full.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) || full.EndsWith(".ort", StringComparison.OrdinalIgnoreCase)
            ? full
            : Path.Combine(Path.GetDirectoryName(manifestPath)!, manifest.ModelFile);
        if (!File.Exists(modelPath))
            throw new EdgeException($"{manifestPath} names model file {manifest.ModelFile}, which does not exist");
        CheckAgainstGraph(manifest, manifestPath, modelPath);
        return new ModelPackage(modelPath, manifestPath, manifest);
    }

    /// <summary>An ONNX model's graph must agree with its manifest (<see cref="ManifestValidator"/>); an .ort file
    /// (ONNX Runtime's own format) is not protobuf and is checked by ONNX Runtime when it loads.</summary>
    private static void CheckAgainstGraph(ModelManifest manifest, string manifestPath, string modelPath)
    {
        if (modelPath.EndsWith(".ort", StringComparison.OrdinalIgnoreCase)) return;
        ManifestValidator.Check(manifest, Onnx.GraphSignature.Read(modelPath), manifestPath, modelPath);
    }

    /// <summary>A model (an .onnx file, or a folder holding the manifest's model file) described by a manifest kept
    /// elsewhere (<c>,manifest=PATH</c>).</summary>
    public static ModelPackage Load(string location, string manifestPath)
    {
        var manifest = ManifestFile.Read(manifestPath);
        string full = Path.GetFullPath(location);
        string model = Directory.Exists(full) ? Path.Combine(full, manifest.Manifest.ModelFile) : full;
        if (!File.Exists(model))
            throw new EdgeException($"model not found: {model}");
        CheckAgainstGraph(manifest.Manifest, manifest.Path, model);
        return new ModelPackage(model, manifest.Path, manifest.Manifest);
    }

    /// <summary>Loads a package if a manifest exists, else null (a bare ONNX file).</summary>
    public static ModelPackage? TryLoad(string path)
    {
        string full = Path.GetFullPath(path);
        bool hasManifest = Directory.Exists(full) ? File.Exists(Path.Combine(full, ManifestFileName))
            : full.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? File.Exists(full)
            : File.Exists(SidecarOf(full)) || File.Exists(Path.Combine(Path.GetDirectoryName(full) ?? ".", ManifestFileName));
        return hasManifest ? Load(path) : null;
    }

    public static string SidecarOf(string onnxPath) =>
        Path.Combine(Path.GetDirectoryName(onnxPath)!, Path.GetFileNameWithoutExtension(onnxPath) + ".manifest.json");

    /// <summary>
    /// Writes a package folder: the model (copied from <paramref name="modelSource"/>) and the manifest stamped
    /// with the model's hash. The folder is assembled under a temporary name and swapped into place, so a
    /// reader never sees a manifest beside a model it does not describe, and a failure leaves any previous
    /// package untouched.
    /// </summary>
    public static ModelPackage Write(string folder, string modelSource, ModelManifest manifest)
    {
        string target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        string staging = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            string stagedModel = Path.Combine(staging, manifest.ModelFile);
            File.Copy(modelSource, stagedModel);
            var stamped = manifest with
            {
                ModelSha256 = FileHash.Sha256(stagedModel),
                CreatedUtc = manifest.CreatedUtc ?? DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
                Producer = manifest.Producer ?? $"edge {typeof(ModelPackage).Assembly.GetName().Version?.ToString(3)}",
            };
            JsonFiles.Write(Path.Combine(staging, ManifestFileName), stamped);
            string? old = null;
            if (Directory.Exists(target))
            {
                old = Path.Combine(parent, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.old");
                Directory.Move(target, old);
            }
            Directory.Move(staging, target);
            if (old is not null) Directory.Delete(old, recursive: true);
            return new ModelPackage(Path.Combine(target, manifest.ModelFile), Path.Combine(target, ManifestFileName), stamped);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>Rewrites just the manifest (e.g. to record gate results).</summary>
    public ModelPackage WithManifest(ModelManifest manifest)
    {
        JsonFiles.Write(ManifestPath, manifest);
        return this with { Manifest = manifest };
    }
}
