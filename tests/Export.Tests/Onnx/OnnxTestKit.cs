using Edge.Export.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Export.Tests.Onnx;

/// <summary>Export a module to a temp file, run both sides, compare: the loop every exporter test uses.</summary>
internal static class OnnxTestKit
{
    public static string TempPath(string name) =>
        Path.Combine(Path.GetTempPath(), "edge-onnx-tests", $"{name}-{Guid.NewGuid():N}.onnx");

    /// <summary>Gives every BatchNorm2d non-trivial statistics and affine parameters, so folding is really tested.</summary>
    public static void RandomizeBatchNorms(nn.Module module, int seed = 1)
    {
        using var _ = no_grad();
        var gen = new Generator((ulong)seed);
        foreach (var (_, m) in module.named_modules())
            if (m is TorchSharp.Modules.BatchNorm2d bn)
            {
                bn.running_mean!.copy_(randn(bn.running_mean.shape, generator: gen) * 0.5);
                bn.running_var!.copy_(rand(bn.running_var.shape, generator: gen) + 0.5);
                bn.weight.copy_(randn(bn.weight.shape, generator: gen) * 0.5 + 1);
                bn.bias!.copy_(randn(bn.bias.shape, generator: gen) * 0.2);
            }
            else if (m is Edge.Distill.Models.Layers.Attention attn)
                attn.AttentionBiases.copy_(randn(attn.AttentionBiases.shape, generator: gen));
    }

    /// <summary>
    /// Random BatchNorm affine parameters, then running statistics set from one training-mode batch of standard-normal
    /// inputs (momentum 1), as a trained network's would be: activations stay near unit scale through a deep network,
    /// so parity is measured where a real student works rather than on values random statistics blow up to 1e2-1e3.
    /// </summary>
    public static void SettleBatchNorms(nn.Module<Tensor, Tensor> module, long[] shape, int batch = 8, int seed = 1)
    {
        using var scope = NewDisposeScope();
        RandomizeBatchNorms(module, seed);
        var norms = module.named_modules().Select(m => m.module).OfType<TorchSharp.Modules.BatchNorm2d>().ToList();
        foreach (var bn in norms) bn.momentum = 1.0;
        using (no_grad())
        {
            module.train();
            module.call(randn([batch, .. shape], generator: new Generator((ulong)seed)));
        }
        foreach (var bn in norms) bn.momentum = 0.1;
        module.eval();
    }

    /// <summary>Exports <paramref name="module"/> with input [batch, ...shape] and returns parity on random inputs.</summary>
    public static (ParityResult Parity, OnnxExportResult Export) ExportAndCompare(nn.Module<Tensor, Tensor> module, long[] shape,
        int batch = 3, int opset = 20)
    {
        string path = TempPath(module.GetType().Name);
        try
        {
            module.eval();
            var result = OnnxExporter.Export(module, new OnnxExportOptions { InputShape = shape, Opset = opset }, path);
            var parity = ParityCheck.RunRandom(module, path, batch, shape.Select(s => (int)s).ToArray(), seed: 7);
            return (parity, result);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
