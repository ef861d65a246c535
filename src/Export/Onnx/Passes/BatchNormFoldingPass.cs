using Edge.Export.Onnx.Graph;

namespace Edge.Export.Onnx.Passes;

/// <summary>
/// Conv → BatchNormalization becomes one Conv: W' = W * a, b' = (b - mean) * a + beta with
/// a = gamma / sqrt(var + eps), per output channel. Computed in double so the folded graph stays within
/// float rounding of the unfolded one. Only when the Conv feeds nothing but the BN and all parameters are
/// initializers.
/// </summary>
public sealed class BatchNormFoldingPass : IGraphPass
{
    public string Name => "batchnorm-folding";

    public int Run(OnnxGraph graph)
    {
        var producers = graph.Producers();
        var consumers = graph.ConsumerCounts();
        int folded = 0;
        foreach (var bn in graph.Nodes.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            if (bn.Output.Count != 1 || !producers.TryGetValue(bn.Input[0], out var conv) || conv.OpType != "Conv") continue;
            if (consumers.GetValueOrDefault(conv.Output[0]) != 1 || graph.OutputNames.Contains(conv.Output[0])) continue;
            var inits = graph.Initializers;
            if (!inits.TryGetValue(conv.Input[1], out var w) || !w.IsFloat) continue;
            ConstTensor? convBias = conv.Input.Count > 2 && conv.Input[2].Length > 0 ? inits.GetValueOrDefault(conv.Input[2]) : null;
            if (conv.Input.Count > 2 && conv.Input[2].Length > 0 && convBias is null) continue;
            if (!bn.Input.Skip(1).All(inits.ContainsKey)) continue;

            float[] gamma = inits[bn.Input[1]].Floats!, beta = inits[bn.Input[2]].Floats!;
            float[] mean = inits[bn.Input[3]].Floats!, variance = inits[bn.Input[4]].Floats!;
            double eps = bn.GetFloat("epsilon") ?? 1e-5;
            int outC = (int)w.Dims[0], per = w.Floats!.Length / outC;
            var nw = new float[w.Floats.Length];
            var nb = new float[outC];
            for (int o = 0; o < outC; o++)
            {
                double a = gamma[o] / Math.Sqrt(variance[o] + eps);
                for (int i = 0; i < per; i++) nw[o * per + i] = (float)(w.Floats[o * per + i] * a);
                nb[o] = (float)(((convBias?.Floats![o] ?? 0.0) - mean[o]) * a + beta[o]);
            }
            string wName = conv.Name + "/folded_weight", bName = conv.Name + "/folded_bias";
            inits[wName] = ConstTensor.Of(nw, w.Dims);
            inits[bName] = ConstTensor.Of(nb, outC);
            graph.Shapes[wName] = w.Dims;
            graph.Shapes[bName] = [outC];
            conv.Input[1] = wName;
            if (conv.Input.Count > 2) conv.Input[2] = bName; else conv.Input.Add(bName);
            conv.Output[0] = bn.Output[0];
            graph.Nodes.Remove(bn);
            folded++;
        }
        return folded; // the old weights and BN parameters are now unused: DeadNodeRemovalPass drops them
    }
}
