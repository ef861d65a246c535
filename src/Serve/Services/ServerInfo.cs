using Edge.Serve.Repository;

namespace Edge.Serve.Services;

/// <summary>Metadata both protocol flavours answer with.</summary>
public static class ServerInfo
{
    public const string Name = "edge";
    public const string Platform = "onnxruntime_onnx";

    public static string Version { get; } = typeof(ServerInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>Protocol extensions beyond the core v2 calls.</summary>
    public static IReadOnlyList<string> Extensions { get; } = ["model_repository", "edge_image_classify", "binary_tensor_data"];

    /// <summary>The model's versions (newest first) and the one a request for <paramref name="version"/> describes.</summary>
    public static (IReadOnlyList<ModelVersion> All, ModelVersion Described) Describe(ModelRepository repository, string name, string? version)
    {
        using var lease = repository.Acquire(name, version);
        return (repository.VersionsOf(name), lease.Model);
    }

    public static long[] InputShape(ModelVersion m) => [-1, m.Preprocessor.Spec.Channels, m.Preprocessor.Spec.Height, m.Preprocessor.Spec.Width];

    public static long[] OutputShape(ModelVersion m) => [-1, m.NumClasses];
}
