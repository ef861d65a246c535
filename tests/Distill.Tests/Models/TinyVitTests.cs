using Edge.Core;
using Edge.Distill.Models;
using Edge.Distill.Models.Layers;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Models;

public class TinyVitTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("tinyvit-5m", 5_390_000)]
    [InlineData("tinyvit-11m", 11_000_000)]
    [InlineData("tinyvit-21m", 21_200_000)]
    public void ImageNetPresetsMatchPaperParameterCounts(string name, long timmCount)
    {
        using var model = StudentRegistry.Create(name);
        long count = model.ParameterCount;
        output.WriteLine($"{name}: {count:N0} parameters (timm {timmCount:N0})");
        Assert.InRange(count, (long)(timmCount * 0.98), (long)(timmCount * 1.02));
        Assert.Equal(timmCount, StudentRegistry.ReferenceParameters(name));
    }

    [Fact]
    public void StateDictKeysFollowTimm()
    {
        using var model = StudentRegistry.Create("tinyvit-quick-32");
        var keys = model.state_dict().Keys.ToHashSet();
        Assert.Contains("patch_embed.conv1.conv.weight", keys);
        Assert.Contains("patch_embed.conv2.bn.running_var", keys);
        Assert.Contains("stages.0.blocks.0.conv3.bn.weight", keys);
        Assert.Contains("stages.1.downsample.conv2.conv.weight", keys);
        Assert.Contains("stages.1.blocks.0.attn.attention_biases", keys);
        Assert.Contains("stages.1.blocks.0.attn.qkv.weight", keys);
        Assert.Contains("stages.1.blocks.0.local_conv.bn.bias", keys);
        Assert.Contains("stages.1.blocks.0.mlp.fc2.bias", keys);
        Assert.Contains("head.norm.weight", keys);
        Assert.Contains("head.fc.weight", keys);
        Assert.DoesNotContain(keys, k => k.EndsWith("attention_bias_idxs"));
    }

    [Theory]
    [InlineData("tinyvit-quick-32")]
    [InlineData("tinyvit-5m-32")]
    [InlineData("simple-cnn")]
    public void SmallPresetsMapImagesToLogits(string name)
    {
        using var scope = NewDisposeScope();
        using var model = StudentRegistry.Create(name);
        model.eval();
        using var _ = no_grad();
        var logits = model.call(randn(3, 1, 32, 32));
        Assert.Equal(new long[] { 3, 10 }, logits.shape);
        Assert.False(logits.isnan().any().item<bool>());
    }

    [Fact]
    public void LinearLayersGetTimmInitialisation()
    {
        using var model = StudentRegistry.Create("tinyvit-quick-32");
        foreach (var (name, p) in model.named_parameters().Where(p => p.name.EndsWith("fc.weight") || p.name.EndsWith("qkv.weight")))
        {
            double std = p.std().item<float>();
            Assert.False(p.isnan().any().item<bool>(), name);
            Assert.InRange(std, 0.015, 0.025);
        }
    }

    [Fact]
    public void WindowsThatDoNotDivideTheMapArePadded()
    {
        using var scope = NewDisposeScope();
        // 40 px, stride 4: stage maps 10, 5, 3, 2 against windows 4, 2, 2 -> padding in every attention stage.
        using var model = StudentRegistry.Create<TinyVitConfig>("tinyvit-quick-32", c => c with { ImageSize = 40, WindowSizes = [8, 4, 2, 2] });
        model.eval();
        using var _ = no_grad();
        Assert.Equal(new long[] { 2, 10 }, model.call(randn(2, 1, 40, 40)).shape);
    }

    /// <summary>Gradient flow end to end: the quick student memorises 16 random images in a few AdamW steps.</summary>
    [Fact]
    public void QuickStudentCanFitASmallBatch()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var model = StudentRegistry.Create("tinyvit-quick-32");
        model.train();
        var opt = optim.AdamW(model.parameters(), lr: 3e-3);
        var x = randn(16, 1, 32, 32);
        var y = randint(0, 10, [16]);
        float first = 0, last = 0;
        for (int step = 0; step < 10; step++)
        {
            using var stepScope = NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            opt.step();
            last = loss.item<float>();
            if (step == 0) first = last;
        }
        output.WriteLine($"loss {first:F3} -> {last:F3}");
        Assert.True(last < first * 0.5, $"loss {first} -> {last}");
    }

    [Fact]
    public void AttentionBiasesReceiveGradients()
    {
        using var scope = NewDisposeScope();
        var attn = new Attention(dim: 16, keyDim: 8, numHeads: 2, windowSize: 3);
        attn.train();
        using (no_grad()) attn.AttentionBiases.normal_();
        attn.call(randn(4, 9, 16)).square().sum().backward();
        var grad = attn.AttentionBiases.grad;
        Assert.NotNull(grad);
        Assert.True(grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void AttentionMatchesExplicitSoftmaxWithBias()
    {
        using var scope = NewDisposeScope();
        var attn = new Attention(dim: 12, keyDim: 4, numHeads: 3, windowSize: 2);
        attn.eval();
        using var _ = no_grad();
        attn.AttentionBiases.normal_();
        var x = randn(2, 4, 12);
        var qkv = attn.Qkv.call(attn.Norm.call(x)).view(2, 4, 3, 12).permute(0, 2, 1, 3);
        var (q, k, v) = (qkv[.., .., .., ..4], qkv[.., .., .., 4..8], qkv[.., .., .., 8..]);
        var scores = q.matmul(k.transpose(-2, -1)) * (1 / Math.Sqrt(4)) + attn.BiasMatrix();
        var expected = attn.Proj.call(scores.softmax(-1).matmul(v).transpose(1, 2).reshape(2, 4, 12));
        Assert.True(attn.call(x).allclose(expected, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void BiasIndexFollowsTimmOffsetOrder()
    {
        var (count, idx) = Attention.BiasIndex(2);
        Assert.Equal(4, count); // offsets (0,0), (0,1), (1,0), (1,1)
        Assert.Equal(new long[] { 0, 1, 2, 3, 1, 0, 3, 2, 2, 3, 0, 1, 3, 2, 1, 0 }, idx);
    }

    [Fact]
    public void DropPathIsIdentityInEvalAndDropsWholeSamplesInTraining()
    {
        using var scope = NewDisposeScope();
        var dp = new DropPath(0.5);
        var x = ones(64, 4, 2, 2);
        dp.eval();
        Assert.True(dp.call(x).eq(x).all().item<bool>());
        dp.train();
        var y = dp.call(x).view(64, -1);
        var perSample = y.amax(1);
        Assert.True(y.amin(1).eq(perSample).all().item<bool>(), "each sample is dropped or kept as a whole");
        Assert.True(perSample.eq(0).any().item<bool>() && perSample.eq(2).any().item<bool>());
    }

    [Fact]
    public void WeightsRoundTripThroughSaveAndLoad()
    {
        using var scope = NewDisposeScope();
        string path = Path.Combine(Path.GetTempPath(), $"edge-student-{Guid.NewGuid():N}.bin");
        try
        {
            using var a = StudentRegistry.Create("tinyvit-quick-32");
            using var b = StudentRegistry.Create("tinyvit-quick-32");
            a.eval(); b.eval();
            a.SaveWeights(path);
            b.LoadWeights(path);
            using var _ = no_grad();
            var x = randn(2, 1, 32, 32);
            Assert.True(a.call(x).eq(b.call(x)).all().item<bool>());
            Assert.Empty(Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(path) + ".tmp-*"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
