
namespace Edge.Quantize.Ops;

/// <summary>
/// A ReLU whose int8 input already has its zero point at the bottom of the range (nothing below 0 can be
/// represented) is the identity: it disappears. ReLUs folded into their producer never reach this class.
/// </summary>
public sealed class ReluQuantizer : IOpQuantizer
{
    public IReadOnlyList<string> OpTypes { get; } = ["Relu"];

    public OpResult Quantize(NodeProto node, QuantizationContext ctx)
    {
        var xq = ctx.Quantized(node.Input[0]);
        if (xq is null) return OpResult.Float("input is not int8");
        if (!xq.Params.ClampsAtZero) return OpResult.Float("input's zero point is not at the bottom of its range");
        ctx.Alias(node.Output[0], xq);
        return OpResult.As("removed (int8 range starts at 0)");
    }
}
