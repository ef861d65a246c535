using Edge.Serve.Protocol.Triton;
using Edge.Serve.Repository;

namespace Edge.Serve.Services;

/// <summary>Server and model metadata, the same for both protocols.</summary>
public static class ServerInfo
{
    public const string DefaultName = "edge";

    public static string Version { get; } = typeof(ServerInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>
    /// The protocol extensions this server implements (Triton's names): nothing is listed that it does not do (no shared
    /// memory, sequences, tracing or log settings; docs/SERVE.md).
    /// </summary>
    public static IReadOnlyList<string> Extensions { get; } =
        ["classification", "model_repository", "model_configuration", "binary_tensor_data", "statistics", "edge_image_classify"];

    /// <summary>The model's versions (newest first) and the one a request for <paramref name="version"/> describes.</summary>
    public static (IReadOnlyList<ModelVersion> All, ModelVersion Described) Describe(ModelRepository repository, string name, string? version)
    {
        using var lease = repository.Acquire(name, version);
        return (repository.VersionsOf(name), lease.Model);
    }

    /// <summary>Tensor metadata as the v2 protocol gives it: the configuration's dims, with −1 for the batch dimension when there is one.</summary>
    public static IEnumerable<(string Name, string Datatype, long[] Shape)> Inputs(ModelVersion m) =>
        m.Config.Input.Select(i => (i.Name, Datatype(i.DataType), Shape(m, i.Dims)));

    public static IEnumerable<(string Name, string Datatype, long[] Shape)> Outputs(ModelVersion m) =>
        m.Config.Output.Select(o => (o.Name, Datatype(o.DataType), Shape(m, o.Dims)));

    private static long[] Shape(ModelVersion m, IEnumerable<long> dims) => m.Config.MaxBatchSize > 0 ? [-1, .. dims] : [.. dims];

    private static string Datatype(DataType type) => Edge.Serve.Tensors.TensorDataTypes.All.First(t => t.Config == type).Name;

    public static ModelMetadataResponse Metadata(ModelRepository repository, string name, string? version)
    {
        var (all, m) = Describe(repository, name, version);
        var response = new ModelMetadataResponse { Name = m.Name, Platform = ModelConfigs.Platform };
        response.Versions.AddRange(all.Select(v => v.VersionText));
        foreach (var (n, d, s) in Inputs(m))
            response.Inputs.Add(new ModelMetadataResponse.Types.TensorMetadata { Name = n, Datatype = d, Shape = { s } });
        foreach (var (n, d, s) in Outputs(m))
            response.Outputs.Add(new ModelMetadataResponse.Types.TensorMetadata { Name = n, Datatype = d, Shape = { s } });
        return response;
    }

    public static ModelStatisticsResponse Statistics(ModelRepository repository, string? name, string? version)
    {
        var response = new ModelStatisticsResponse();
        IEnumerable<ModelVersion> versions;
        if (string.IsNullOrEmpty(name))
            versions = repository.All;
        else if (string.IsNullOrEmpty(version))
        {
            versions = repository.VersionsOf(name);
            if (!versions.Any())
                using (repository.Acquire(name, null)) { } // throws NOT_FOUND naming what is served
        }
        else
        {
            using var lease = repository.Acquire(name, version);
            versions = [lease.Model];
        }
        foreach (var v in versions.OrderBy(v => v.Name, StringComparer.Ordinal).ThenBy(v => v.Version))
            response.ModelStats.Add(v.Statistics.ToProto(v.Name, v.VersionText));
        return response;
    }

    public static RepositoryIndexResponse Index(IReadOnlyList<RepositoryEntry> entries)
    {
        var response = new RepositoryIndexResponse();
        foreach (var e in entries)
            response.Models.Add(new RepositoryIndexResponse.Types.ModelIndex { Name = e.Name, Version = e.Version, State = e.State, Reason = e.Reason });
        return response;
    }
}
