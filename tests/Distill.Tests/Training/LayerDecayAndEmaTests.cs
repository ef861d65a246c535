using Edge.Core;
using Edge.Core.Progress;
using Edge.Distill.Models;
using Edge.Distill.Training;
using Edge.Testing;
using Xunit;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Training;

public class LayerDecayAndEmaTests
{
    [Fact]
    public void LayerDecayGroupLearningRatesFollowDecayToTheDepth()
    {
        using var model = StudentRegistry.Create("tinyvit-quick-32");
        var c = (TinyVitConfig)model.Config;
        int layers = 1 + c.Depths.Sum() + 1; // embed, every block, head
        var groups = LayerDecay.Build(model, [], lr: 1e-3, weightDecay: 0.05, layerDecay: 0.75);
        var (ids, count) = LayerDecay.LayerIds(model);
        Assert.Equal(layers, count);
        Assert.Equal(0, ids.First(kv => kv.Key.StartsWith("patch_embed.")).Value);
        Assert.Equal(count - 1, ids["head.fc.weight"]);
        Assert.Equal(1, ids.First(kv => kv.Key.StartsWith("stages.0.blocks.0.")).Value);
        // A stage's patch merging goes with its first block (timm's group_matcher).
        Assert.Equal(ids.First(kv => kv.Key.StartsWith("stages.1.blocks.0.")).Value, ids.First(kv => kv.Key.StartsWith("stages.1.downsample.")).Value);
        Assert.Equal(c.Depths[0] + 1, ids.First(kv => kv.Key.StartsWith("stages.1.blocks.0.")).Value);

        // Every parameter is in exactly one group, at lr · 0.75^(L − layer), with weight decay only on matrices.
        var seen = new HashSet<IntPtr>();
        for (int g = 0; g < groups.Groups.Count; g++)
        {
            var group = groups.Groups[g];
            foreach (var p in group.Parameters)
            {
                Assert.True(seen.Add(p.Handle));
                var name = model.named_parameters().First(n => n.parameter.Handle == p.Handle).name;
                double expected = Math.Pow(0.75, count - 1 - ids[name]);
                Assert.Equal(expected, groups.Scales[g], 12);
                Assert.Equal(1e-3 * expected, group.Options.LearningRate!.Value, 12);
                Assert.Equal(p.dim() >= 2 && !name.Contains("attention_biases") ? 0.05 : 0.0, ((TorchSharp.Modules.AdamW.Options)group.Options).weight_decay!.Value, 12);
            }
        }
        Assert.Equal(model.parameters().Count(), seen.Count);
        Assert.Equal(Math.Pow(0.75, count - 1), groups.Scales.Min(), 12);
        Assert.Equal(1.0, groups.Scales.Max(), 12);

        // Off: the plain recipe's two groups at full rate.
        var plain = LayerDecay.Build(model, [], 1e-3, 0.05, null);
        Assert.Equal(2, plain.Groups.Count);
        Assert.All(plain.Scales, s => Assert.Equal(1.0, s));
        Assert.Throws<EdgeException>(() => LayerDecay.Build(model, [], 1e-3, 0.05, 1.5));
    }

    [Fact]
    public void EmaUpdateIsTheExponentialAverageOfTheWeights()
    {
        using var model = StudentRegistry.Create("simple-cnn");
        using var ema = new EmaWeights(model, 0.9, warmup: false);
        var name = "classifier.1.weight";
        var w = model.named_parameters().First(p => p.name == name).parameter;
        var e = ema.Model.named_parameters().First(p => p.name == name).parameter;
        float w0 = w[0, 0].item<float>();
        Assert.Equal(w0, e[0, 0].item<float>());
        using (no_grad()) w.add_(1.0f);
        ema.Update(0);
        Assert.Equal(0.9 * w0 + 0.1 * (w0 + 1), e[0, 0].item<float>(), 5);
        using (no_grad()) w.add_(1.0f);
        ema.Update(1);
        Assert.Equal(0.9 * (0.9 * w0 + 0.1 * (w0 + 1)) + 0.1 * (w0 + 2), e[0, 0].item<float>(), 5);
        // BatchNorm statistics are averaged too; the counter is copied.
        var mean = model.named_buffers().First(b => b.name.EndsWith("running_mean")).buffer;
        var emaMean = ema.Model.named_buffers().First(b => b.name.EndsWith("running_mean")).buffer;
        using (no_grad()) mean.fill_(2.0f);
        ema.Update(2);
        Assert.Equal(0.2f, emaMean[0].item<float>(), 5);

        // Warm-up: min(d, (1 + t) / (10 + t)).
        using var warm = new EmaWeights(model, 0.9998);
        Assert.Equal(0.1, warm.DecayAt(0), 12);
        Assert.Equal(0.9998, warm.DecayAt(1_000_000), 12);

        ema.CopyTo(model);
        Assert.Equal(e[0, 0].item<float>(), w[0, 0].item<float>());
        Assert.Throws<EdgeException>(() => new EmaWeights(model, 1.0));
    }

    private static DistillOptions Tiny(string dir) => new()
    {
        OutputDir = dir,
        Student = "tinyvit-quick-32",
        Teachers = [TestPaths.Teacher],
        Dataset = "fashion-mnist",
        Epochs = 2,
        BatchSize = 64,
        TrainSamples = 192,
        TestSamples = 128,
        AgreementSamples = 64,
        TeacherSamples = 0,
        Seed = 11,
        Plots = false,
        Ema = 0.99,
        LayerDecay = 0.8,
    };

    [Fact]
    public void ResumeWithEmaAndLayerDecayMatchesAnUninterruptedRunAndInitLoadsWeights()
    {
        TestPaths.RequireFashionMnist();
        using var full = new TempDir();
        using var killed = new TempDir();
        using var reference = DistillTrainer.Run(Tiny(full.Path), IProgressHost.None);

        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => DistillTrainer.Run(Tiny(killed.Path), new CancelOnTitle("epoch 2/", cancel), cancel.Token));
        using var resumed = DistillTrainer.Run(Tiny(killed.Path) with { Resume = true }, IProgressHost.None);
        for (int e = 0; e < 2; e++)
        {
            Assert.Equal(reference.Epochs[e].TrainLoss, resumed.Epochs[e].TrainLoss, 5);
            Assert.Equal(reference.Epochs[e].TestTop1, resumed.Epochs[e].TestTop1, 6);
        }
        // The final weights are the EMA's, identical after the resume.
        var a = reference.Model.parameters().Select(p => p.detach().cpu()).ToArray();
        var b = resumed.Model.parameters().Select(p => p.detach().cpu()).ToArray();
        for (int i = 0; i < a.Length; i++) Assert.True(a[i].allclose(b[i], rtol: 1e-5, atol: 1e-6), $"parameter {i} differs after resume");

        // --init: a fine-tuning run starts from the finished run's weights; a foreign architecture is refused by name.
        using var tuned = new TempDir();
        using (var run = DistillTrainer.Run(Tiny(tuned.Path) with { Epochs = 1, Init = full.Path, LearningRate = 1e-9, MinLearningRate = 1e-9, Ema = null }, IProgressHost.None))
        {
            // A learning rate of 1e-9 leaves the weights where --init put them (BatchNorm statistics still move).
            var c = run.Model.parameters().Select(p => p.detach().cpu()).ToArray();
            for (int i = 0; i < a.Length; i++) Assert.True(a[i].allclose(c[i], rtol: 1e-4, atol: 1e-6), $"parameter {i} was not initialised from the run");
        }
        using var cnn = new TempDir();
        var e2 = Assert.Throws<EdgeException>(() => DistillTrainer.Run(Tiny(cnn.Path) with { Student = "simple-cnn", Init = full.Path }, IProgressHost.None));
        Assert.Contains("simple-cnn", e2.Message);
    }

    private sealed class CancelOnTitle(string prefix, CancellationTokenSource cancel) : IProgressHost
    {
        public StepHandle Begin(string title, long total, string unit)
        {
            if (title.StartsWith(prefix, StringComparison.Ordinal)) cancel.Cancel();
            return new StepHandle(IStepProgress.None, () => { });
        }
    }
}
