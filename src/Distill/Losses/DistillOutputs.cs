using static TorchSharp.torch;

namespace Edge.Distill.Losses;

/// <summary>
/// One side (student or teacher) of a distillation step: logits [N, classes] and named intermediate features.
/// The tensors belong to the step's dispose scope; losses read them and never dispose them.
/// </summary>
public sealed record DistillOutputs(Tensor Logits)
{
    public IReadOnlyDictionary<string, Tensor> Features { get; init; } = new Dictionary<string, Tensor>();

    public Tensor Feature(string name, string side) =>
        Features.TryGetValue(name, out var t)
            ? t
            : throw new Edge.Core.EdgeException($"the {side} exposes no feature '{name}' (it has: {(Features.Count == 0 ? "none" : string.Join(", ", Features.Keys))})");

    /// <summary>The same outputs restricted to the rows in <paramref name="rows"/> (int64 indices).</summary>
    public DistillOutputs Rows(Tensor rows) => new(Logits.index_select(0, rows))
    {
        Features = Features.ToDictionary(kv => kv.Key, kv => kv.Value.index_select(0, rows)),
    };
}
