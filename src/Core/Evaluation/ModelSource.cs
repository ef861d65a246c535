namespace Edge.Core.Evaluation;

/// <summary>
/// Where to find a model for evaluation: an ONNX file or model package (<see cref="Manifest.ModelPackage"/>), or a
/// KServe v2 server address <c>grpc://host:port/model[/version]</c> (also http:// and https://). For a
/// server, or an ONNX file without a manifest beside it, <see cref="ManifestPath"/> supplies labels and preprocessing.
/// </summary>
public sealed record ModelSource(string Location, string? Name = null, string? ManifestPath = null)
{
    public bool IsRemote => IsAddress(Location);

    public static bool IsAddress(string location) =>
        location.StartsWith("grpc://", StringComparison.OrdinalIgnoreCase)
        || location.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || location.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Parses the command-line form <c>location[,name=NAME][,manifest=PATH]</c>, e.g.
    /// <c>out/student-int8,name=int8</c> or <c>grpc://localhost:8001/student,manifest=out/student/manifest.json</c>.
    /// </summary>
    public static ModelSource Parse(string text)
    {
        var parts = text.Split(',');
        string location = parts[0].Trim();
        if (location.Length == 0)
            throw new EdgeException($"empty model location in '{text}'");
        string? name = null, manifest = null;
        foreach (var part in parts.Skip(1))
        {
            int eq = part.IndexOf('=');
            string key = eq < 0 ? part.Trim() : part[..eq].Trim();
            string value = eq < 0 ? "" : part[(eq + 1)..].Trim();
            switch (key)
            {
                case "name": name = value; break;
                case "manifest": manifest = value; break;
                default:
                    throw new EdgeException($"unknown model option '{key}' in '{text}': use location[,name=NAME][,manifest=PATH]");
            }
        }
        return new ModelSource(location, string.IsNullOrEmpty(name) ? null : name, string.IsNullOrEmpty(manifest) ? null : manifest);
    }

    /// <summary>A default display name: the package folder or file name without extension, or the remote model name.</summary>
    public string DisplayName()
    {
        if (Name is not null) return Name;
        if (IsRemote)
        {
            var uri = new Uri(Location);
            return uri.AbsolutePath.Trim('/').Replace('/', '@') is { Length: > 0 } path ? path : uri.Authority;
        }
        string full = Path.GetFullPath(Location);
        if (Directory.Exists(full)) return Path.GetFileName(full.TrimEnd('/'));
        string file = Path.GetFileName(full);
        foreach (var suffix in new[] { ".manifest.json", ".json", ".onnx", ".ort" })
            if (file.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                return file[..^suffix.Length];
        return file;
    }
}
