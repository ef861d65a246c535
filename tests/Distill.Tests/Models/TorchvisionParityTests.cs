using System.Text.Json;
using Edge.Distill.Models;
using Edge.Testing;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Models;

/// <summary>
/// Edge's EfficientNet-B0 and MobileNetV3-Large/-Small against another implementation: torchvision's, through the
/// golden file <c>Golden/torchvision_cnn.json</c> that <c>Golden/torchvision_cnn.py</c> writes (Debian's
/// python3-torchvision). Both sides fill every Conv2d / Linear / BatchNorm2d tensor, in module order, from the same
/// formula; the test checks the exact parameter count, every tensor's shape in that order (so the architectures are
/// the same layer for layer), and the logits on the same image.
/// </summary>
public class TorchvisionParityTests(ITestOutputHelper output)
{
    private static readonly string GoldenPath = Path.Combine(TestPaths.RepoRoot, "tests", "Distill.Tests", "Models", "Golden", "torchvision_cnn.json");

    [Theory]
    [InlineData("efficientnet-b0")]
    [InlineData("mobilenetv3-large")]
    [InlineData("mobilenetv3-small")]
    public void ComputesTheSameFunctionAsTorchvision(string student)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(GoldenPath));
        var reference = doc.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("student").GetString() == student);
        int size = doc.RootElement.GetProperty("image_size").GetInt32();

        using var scope = NewDisposeScope();
        using var model = StudentRegistry.Create(student);
        model.eval();
        Assert.Equal(reference.GetProperty("parameters").GetInt64(), model.ParameterCount);

        var shapes = Fill(model);
        var expected = reference.GetProperty("tensors").EnumerateArray()
            .Select(t => t.EnumerateArray().ToArray()).Select(t => (Role: t[0].GetString()!, Shape: t[1..].Select(d => d.GetInt64()).ToArray())).ToList();
        Assert.Equal(expected.Count, shapes.Count);
        for (int i = 0; i < shapes.Count; i++)
        {
            // torchvision's MobileNetV3 head is a Linear where timm (and Edge) have a 1x1 conv: same numbers, trailing 1s.
            Assert.True(expected[i].Role == shapes[i].Role && Trim(expected[i].Shape).SequenceEqual(Trim(shapes[i].Shape)),
                $"tensor {i} ({shapes[i].Name}): Edge {shapes[i].Role} [{string.Join(",", shapes[i].Shape)}], torchvision {expected[i].Role} [{string.Join(",", expected[i].Shape)}]");
        }

        var pixels = Enumerable.Range(0, 3 * size * size).Select(i => (float)Math.Sin(0.013 * i)).ToArray();
        using var _ = no_grad();
        var logits = model.call(tensor(pixels, [1, 3, size, size]))[0].data<float>().ToArray();
        var want = reference.GetProperty("logits").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        double maxDiff = logits.Zip(want, (a, b) => Math.Abs(a - b)).Max();
        double scale = want.Max(Math.Abs);
        output.WriteLine($"{student}: {model.ParameterCount:N0} parameters, {shapes.Count} tensors; logits max |Δ| {maxDiff:E2} (max |logit| {scale:F3})");
        // Float32 rounding over ~50 layers leaves ~1e-5; a wrong gate in MobileNetV3-Large's SE already moves them by 2e-4.
        Assert.True(maxDiff <= 5e-5, $"max |Δ| {maxDiff:E2} against torchvision");
    }

    /// <summary>PyTorch's named_modules() order (depth first, pre-order); TorchSharp's lists each level before the next.</summary>
    private static IEnumerable<(string Name, nn.Module Module)> DepthFirst(nn.Module m, string path)
    {
        yield return (path, m);
        foreach (var (name, child) in m.named_children())
            foreach (var item in DepthFirst(child, path.Length == 0 ? name : $"{path}.{name}")) yield return item;
    }

    private static long[] Trim(long[] shape) => [.. shape.Reverse().SkipWhile(d => d == 1).Reverse()];

    /// <summary>The formula of torchvision_cnn.py, tensor by tensor in module order; returns what it filled.</summary>
    private static List<(string Name, string Role, long[] Shape)> Fill(nn.Module model)
    {
        var filled = new List<(string, string, long[])>();
        int k = 0;
        using var _ = no_grad();
        foreach (var (name, m) in DepthFirst(model, ""))
        {
            (string Role, Tensor? T)[] tensors = m switch
            {
                Conv2d c => [("weight", c.weight), ("bias", c.bias)],
                Linear l => [("weight", l.weight), ("bias", l.bias)],
                BatchNorm2d bn => [("bn_weight", bn.weight), ("bn_bias", bn.bias), ("running_mean", bn.running_mean), ("running_var", bn.running_var)],
                _ => [],
            };
            foreach (var (role, t) in tensors)
            {
                if (t is null) continue;
                long n = t.numel();
                double gain = role == "weight" ? Math.Sqrt(4.0 / (n / t.shape[0])) : 0;
                var data = new float[n];
                for (long i = 0; i < n; i++)
                {
                    double v = Math.Sin(0.37 * i + 1.7 * k + 0.1);
                    data[i] = (float)(role switch
                    {
                        "weight" => v * gain,
                        "bias" or "bn_bias" or "running_mean" => 0.1 * v,
                        "bn_weight" => 1 + 0.1 * v,
                        _ => 1 + 0.25 * (v + 1),
                    });
                }
                t.copy_(tensor(data, t.shape));
                filled.Add((name, role, t.shape));
                k++;
            }
        }
        return filled;
    }
}
