using Edge.Onnx.Proto;

namespace Edge.Export.Quantize.Graph;

/// <summary>
/// A float-to-float rewrite run before quantizing (see <see cref="QuantizeOptions.GraphPasses"/>). Contract: the
/// rewritten graph computes the same function (up to float summation order), and a pattern that does not match
/// exactly is left alone rather than approximated.
/// </summary>
public interface IGraphPass
{
    /// <summary>The name <see cref="QuantizeOptions.GraphPasses"/> and the CLI use.</summary>
    string Name { get; }

    /// <summary>Rewrites <paramref name="model"/> in place (callers pass a copy) and returns how many sites it rewrote.</summary>
    int Apply(ModelProto model);
}
