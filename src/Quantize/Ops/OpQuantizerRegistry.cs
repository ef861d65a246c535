using Edge.Core;

namespace Edge.Quantize.Ops;

/// <summary>Op type → quantizer, built explicitly. Op types not registered stay in float.</summary>
public sealed class OpQuantizerRegistry
{
    private readonly Dictionary<string, IOpQuantizer> _byOpType = new(StringComparer.Ordinal);

    public static OpQuantizerRegistry CreateDefault()
    {
        var registry = new OpQuantizerRegistry();
        registry.Add(new ConvQuantizer());
        registry.Add(new MatMulQuantizer());
        registry.Add(new GemmQuantizer());
        registry.Add(new BinaryQuantizer());
        registry.Add(new PoolQuantizer());
        registry.Add(new PassThroughQuantizer());
        registry.Add(new ReluQuantizer());
        registry.Add(new SigmoidQuantizer());
        registry.Add(new HardSigmoidQuantizer());
        registry.Add(new HardSwishQuantizer());
        registry.Add(new ConcatQuantizer());
        return registry;
    }

    public void Add(IOpQuantizer quantizer)
    {
        foreach (string op in quantizer.OpTypes)
            if (!_byOpType.TryAdd(op, quantizer))
                throw new InvalidOperationException($"op type {op} already has a quantizer ({_byOpType[op].GetType().Name})");
    }

    public IReadOnlyCollection<string> OpTypes => _byOpType.Keys;

    public bool TryGet(string opType, out IOpQuantizer quantizer) => _byOpType.TryGetValue(opType, out quantizer!);

    public IOpQuantizer Get(string opType) =>
        TryGet(opType, out var q) ? q : throw new EdgeException($"no quantizer for op type '{opType}'; known: {string.Join(", ", _byOpType.Keys.Order())}");
}
