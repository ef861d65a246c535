using Edge.Core.Imaging;
using Edge.Core.Manifest;
using Edge.Core.Preprocessing;

namespace Edge.Testing;

/// <summary>
/// A gray 1x8x8 package that tells dark images from bright ones (Conv 1x1 → ReLU → GAP → Gemm; output 0 is "dark"),
/// and an image folder of RGB PNGs whose class folders sort the other way ("bright/" before "dark/"): a dataset unlike
/// the model in channels and class order, for tests of calibration and label matching.
/// </summary>
public static class DarkBrightFixture
{
    public static ModelPackage Package(string dir)
    {
        var g = new TinyGraph();
        string x = g.Input("input", 1, 8, 8);
        string c = g.Op("Conv", [x, g.Constant("w", [2, 1, 1, 1], 1f, -1f)], ("kernel_shape", new long[] { 1, 1 }));
        string pooled = g.Op("Flatten", [g.Op("GlobalAveragePool", [g.Op("Relu", [c])])]);
        string logits = g.Op("Gemm", [pooled, g.Constant("fc", [2, 2], -4f, 4f, 4f, -4f), g.Constant("fcb", [2], 0f, 0f)], ("transB", 1L));
        g.Output(logits);
        string model = g.Save(dir, "dark-bright.onnx");
        var spec = new PreprocessSpec { Channels = 1, Height = 8, Width = 8, Mean = [0.5f], Std = [0.25f] };
        return ModelPackage.Write(Path.Combine(dir, "fp32"), model, new ModelManifest
        {
            Name = "dark-bright", Labels = ["dark", "bright"], Input = new TensorSpec("input", [-1, 1, 8, 8]),
            Output = new OutputSpec(logits, [-1, 2]), Preprocess = spec,
        });
    }

    /// <summary>"bright/" and "dark/" (alphabetical: bright is class 0), <paramref name="perClass"/> RGB 8x8 PNGs each.</summary>
    public static string ImageFolder(string dir, int perClass = 40)
    {
        string root = Path.Combine(dir, "images");
        var rng = new Random(4);
        foreach (var (cls, lo, hi) in new[] { ("bright", 170, 255), ("dark", 0, 85) })
        {
            Directory.CreateDirectory(Path.Combine(root, cls));
            for (int i = 0; i < perClass; i++)
            {
                var px = new byte[8 * 8 * 3];
                for (int p = 0; p < px.Length; p++) px[p] = (byte)rng.Next(lo, hi);
                File.WriteAllBytes(Path.Combine(root, cls, $"{i}.png"), ImageEncoder.Png(new RawImage(px, 8, 8, 3)));
            }
        }
        return root;
    }
}
