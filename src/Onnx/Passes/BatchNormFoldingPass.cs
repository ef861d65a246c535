using Edge.Onnx.Graph;
using Edge.Onnx.Proto;

namespace Edge.Onnx.Passes;

/// <summary>
/// Conv → BatchNormalization becomes one Conv: W' = W * a, b' = (b - mean) * a + beta with
/// a = gamma / sqrt(var + eps), per output channel. Computed in double so the folded graph stays within
/// float rounding of the unfolded one. Only when the Conv feeds nothing but the BN and all parameters are
/// float initializers.
/// </summary>
public sealed class BatchNormFoldingPass : IGraphPass
{
    public string Name => "batchnorm-folding";

    public int Apply(ModelProto model)
    {
        var graph = model.Graph;
        var index = new GraphIndex(graph);
        var removed = GraphIndex.NodeSet();
        int folded = 0;
        foreach (var bn in graph.Node.Where(n => n.OpType == "BatchNormalization" && GraphIndex.IsDefaultDomain(n)).ToList())
        {
            if (bn.Output.Count != 1 || index.Producer(bn.Input[0]) is not { OpType: "Conv" } conv || removed.Contains(conv)) continue;
            if (index.Consumers(conv.Output[0]).Count != 1 || index.IsGraphOutput(conv.Output[0])) continue;
            if (index.FloatInitializer(conv.Input[1]) is not { } w) continue;
            bool hasBias = conv.Input.Count > 2 && conv.Input[2].Length > 0;
            TensorProto? convBias = hasBias ? index.FloatInitializer(conv.Input[2]) : null;
            if (hasBias && convBias is null) continue;
            if (bn.Input.Count < 5 || !bn.Input.Skip(1).All(index.IsFloatConstant)) continue;

            float[] weights = Tensors.ToFloats(w), bias = convBias is null ? [] : Tensors.ToFloats(convBias);
            float[] gamma = Tensors.ToFloats(index.Initializers[bn.Input[1]]), beta = Tensors.ToFloats(index.Initializers[bn.Input[2]]);
            float[] mean = Tensors.ToFloats(index.Initializers[bn.Input[3]]), variance = Tensors.ToFloats(index.Initializers[bn.Input[4]]);
            double eps = bn.GetFloat("epsilon") ?? 1e-5;
            int outC = (int)w.Dims[0], per = weights.Length / outC;
            var nw = new float[weights.Length];
            var nb = new float[outC];
            for (int o = 0; o < outC; o++)
            {
                double a = gamma[o] / Math.Sqrt(variance[o] + eps);
                for (int i = 0; i < per; i++) nw[o * per + i] = (float)(weights[o * per + i] * a);
                nb[o] = (float)(((convBias is null ? 0.0 : bias[o]) - mean[o]) * a + beta[o]);
            }
            string wName = index.Add(Tensors.Float(index.Unique(conv.Name + "/folded_weight"), [.. w.Dims], nw));
            string bName = index.Add(Tensors.Float(index.Unique(conv.Name + "/folded_bias"), [outC], nb));
            conv.Input[1] = wName;
            if (conv.Input.Count > 2) conv.Input[2] = bName; else conv.Input.Add(bName);
            conv.Output[0] = bn.Output[0];
            removed.Add(bn);
            folded++;
        }
        if (folded > 0) GraphIndex.Remove(graph, removed);
        return folded; // the old weights and BN parameters are now unused: DeadNodeRemovalPass drops them
    }
}
