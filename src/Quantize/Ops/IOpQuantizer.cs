
namespace Edge.Quantize.Ops;

/// <summary>
/// Quantizes nodes of some op types. Contract: check every precondition first and return
/// <see cref="OpResult.Float"/> before touching the context, so a node left in float leaves no trace; when
/// quantizing, emit replacement nodes through the context and never emit the original node.
/// </summary>
public interface IOpQuantizer
{
    IReadOnlyList<string> OpTypes { get; }

    OpResult Quantize(NodeProto node, QuantizationContext ctx);
}
