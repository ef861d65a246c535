using Edge.Onnx.Proto;

namespace Edge.Onnx.Passes;

/// <summary>
/// One rewrite of an ONNX model, the one pass interface of Edge: the exporter's clean-up passes, the quantizer's
/// float rewrites and attention fusion all implement it. Contract: the rewritten graph computes the same function
/// (up to float summation order, unless the pass says otherwise), and a pattern that does not match exactly is left
/// alone rather than approximated.
/// </summary>
public interface IGraphPass
{
    /// <summary>The name logs, reports and the CLI use.</summary>
    string Name { get; }

    /// <summary>Rewrites <paramref name="model"/> in place (callers pass a copy when they keep the original) and returns how many sites it changed.</summary>
    int Apply(ModelProto model);
}
