using Edge.Serve.Protocol.Triton;

namespace Edge.Serve.Repository;

/// <summary>
/// What explicit model control (the repository API's load and unload) decided for one model, which hot-reload
/// polling then respects: an unloaded model stays unloaded until it is loaded again; a load's configuration override
/// and uploaded files stay in force for later rescans. <see cref="Generation"/> changes with every load, so a load
/// reloads the model even when nothing on disk changed.
/// </summary>
public sealed record ModelControl(bool Unloaded, ModelConfig? Config, string? FilesFolder, int Generation)
{
    public static ModelControl Default { get; } = new(false, null, null, 0);
}

/// <summary>One row of the repository index: a model version's state (READY, UNAVAILABLE, LOADING) and why.</summary>
public sealed record RepositoryEntry(string Name, string Version, string State, string Reason);
