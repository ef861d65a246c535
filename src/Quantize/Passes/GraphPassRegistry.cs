using Edge.Core;

namespace Edge.Quantize.Passes;

/// <summary>Pass name → graph pass that <c>--graph-pass</c> may name, built explicitly (as <see cref="Ops.OpQuantizerRegistry"/>); an unknown name is an error.</summary>
public sealed class GraphPassRegistry
{
    private readonly Dictionary<string, IGraphPass> _byName = new(StringComparer.Ordinal);

    public static GraphPassRegistry CreateDefault()
    {
        var registry = new GraphPassRegistry();
        // The toolkit's clean-up passes, for models from other exporters (a BatchNormalization left unfolded).
        registry.Add(new BatchNormFoldingPass());
        registry.Add(new ConstantFoldingPass());
        registry.Add(new DeadNodeRemovalPass());
        registry.Add(new PointwiseConvToMatMul());
        registry.Add(new TokenDepthwiseConv());
        registry.Add(new Int8ConvWeights());
        registry.Add(new ChannelsLastConvBoundaries());
        return registry;
    }

    public void Add(IGraphPass pass)
    {
        if (!_byName.TryAdd(pass.Name, pass))
            throw new InvalidOperationException($"graph pass {pass.Name} is already registered");
    }

    public IReadOnlyCollection<string> Names => _byName.Keys;

    public IGraphPass Get(string name) =>
        _byName.TryGetValue(name, out var p) ? p : throw new EdgeException($"unknown graph pass '{name}'; known: {string.Join(", ", _byName.Keys.Order())}");
}
