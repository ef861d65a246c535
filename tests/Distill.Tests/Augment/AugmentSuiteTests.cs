using Edge.Core;
using Edge.Core.Imaging;
using Edge.Distill.Augment;
using Edge.Distill.Losses;
using Xunit;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Augment;

public class AugmentSuiteTests
{
    private static readonly ImageLayout Gray = new(1, 16, 16);
    private static readonly ImageLayout Rgb = new(3, 12, 12);

    /// <summary>A canvas of random raw pixels in [0, 1].</summary>
    private static float[] Image(ImageLayout l, int seed)
    {
        var rng = new SeededRng((ulong)seed);
        var x = new float[l.Length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        return x;
    }

    private static float[] Run(string config, ImageLayout l, float[] src, int seed) =>
        Apply(AugmentRegistry.Build(AugmentConfig.Parse(config)), l, src, seed, out _);

    private static float[] Apply(AugmentPipeline pipeline, ImageLayout l, float[] src, int seed, out bool flipped)
    {
        var canvas = new Canvas((float[])src.Clone(), l.Channels, l.Height, l.Width);
        flipped = pipeline.ApplySample(canvas, seed);
        return canvas.Data;
    }

    [Fact]
    public void DefaultConfigReplaysFlipTranslateBitForBit()
    {
        Assert.Equal("flip,translate=3", AugmentConfig.Default.ToString());
        Assert.Equal("flip,translate=3", AugmentConfig.FromFlipShift(true, 3).ToString());
        var legacy = new FlipTranslate(Gray.Channels, Gray.Height, Gray.Width);
        var pipeline = AugmentRegistry.Build(AugmentConfig.Default);
        var src = Image(Gray, 1);
        var a = new float[src.Length];
        for (int i = 0; i < 300; i++)
        {
            int seed = SeededRng.SampleSeed(7, 1 + i % 3, i);
            var draw = legacy.Draw(seed);
            legacy.Apply(src, a, draw);
            var b = Apply(pipeline, Gray, src, seed, out bool flipped);
            Assert.Equal(draw.Flip, flipped);
            Assert.Equal(a, b);
        }
        // Without flip, translate alone replays FlipTranslate(flip: false) too.
        var noFlip = new FlipTranslate(1, 16, 16, flip: false, maxShift: 2);
        noFlip.Apply(src, a, noFlip.Draw(99));
        Assert.Equal(a, Run("translate=2", Gray, src, 99));
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("translate=3")]
    [InlineData("rrc=0.5")]
    [InlineData("jitter=0.4")]
    [InlineData("randaug=2x9")]
    [InlineData("erase=1")]
    [InlineData("flip,translate=3,rrc=0.6,jitter=0.2,randaug=2x9,erase=0.25")]
    public void EveryAugmentationReplaysFromItsSeedAndVaries(string config)
    {
        foreach (var l in new[] { Gray, Rgb })
        {
            var src = Image(l, 3);
            var first = Run(config, l, src, 12345);
            Assert.Equal(first, Run(config, l, src, 12345));
            Assert.All(first, v => Assert.True(float.IsFinite(v)));
            int distinct = Enumerable.Range(0, 12).Select(s => string.Join(",", Run(config, l, src, s).Select(v => v.ToString("R")))).Distinct().Count();
            Assert.True(distinct >= 2, $"{config} gave the same output for 12 seeds");
        }
    }

    [Fact]
    public void RandomResizedCropKeepsShapeStaysInBoundsAndZoomsIn()
    {
        var rrc = new RandomResizedCrop(0.3);
        for (int s = 0; s < 200; s++)
        {
            var rng = new SeededRng((ulong)s);
            var (top, left, h, w) = rrc.Draw(16, 16, ref rng);
            Assert.InRange(top, 0, 16 - h);
            Assert.InRange(left, 0, 16 - w);
            Assert.InRange(h * w, 0.3 * 256 * 0.8, 256);
        }
        // A crop of the left half of a left-dark / right-bright image is all dark after resizing.
        var img = new float[Gray.Length];
        for (int y = 0; y < 16; y++) for (int x = 0; x < 16; x++) img[y * 16 + x] = x < 8 ? 0.1f : 0.9f;
        RandomResizedCrop.Resample(img, Gray, 0, 0, 16, 8);
        Assert.Equal(Gray.Length, img.Length);
        Assert.All(img, v => Assert.Equal(0.1f, v));
        // The full-image crop is the identity.
        var src = Image(Gray, 5);
        var same = (float[])src.Clone();
        RandomResizedCrop.Resample(same, Gray, 0, 0, 16, 16);
        Assert.Equal(src, same);
    }

    [Fact]
    public void ErasingReplacesOneRectangleWithRawNoiseAndNothingElse()
    {
        var src = Image(Gray, 8);
        for (int s = 0; s < 20; s++)
        {
            var dst = Run("erase=1", Gray, src, s);
            var changed = Enumerable.Range(0, src.Length).Where(i => dst[i] != src[i]).ToArray();
            Assert.NotEmpty(changed);
            int y0 = changed.Min(i => i / 16), y1 = changed.Max(i => i / 16), x0 = changed.Min(i => i % 16), x1 = changed.Max(i => i % 16);
            int box = (y1 - y0 + 1) * (x1 - x0 + 1);
            Assert.InRange(changed.Length, box * 0.9, box); // a rectangle (noise may hit an equal value, never)
            Assert.InRange(box, 1, 256 / 3 + 16);
            Assert.All(changed, i => Assert.InRange(dst[i], 0f, 1f)); // noise of a raw image's range, whatever a model's normalisation
        }
        Assert.Equal(src, Run("erase=0", Gray, src, 1));
    }

    [Fact]
    public void ColorJitterWorksOnRawPixelsAndKeepsBlackBlackUnderBrightness()
    {
        var src = Image(Gray, 9);
        var zero = Run("jitter=0", Gray, src, 4);
        for (int i = 0; i < src.Length; i++) Assert.Equal(src[i], zero[i], 4);
        for (int s = 0; s < 30; s++)
            Assert.All(Run("jitter=0.8", Gray, src, s), v => Assert.InRange(v, 0f, 1f));
        // Brightness alone scales raw values: black stays black, and a factor f maps 0.4 to 0.4·f.
        var raw = Enumerable.Repeat(0f, Gray.Length).Concat(Enumerable.Repeat(0.4f, Gray.Length)).ToArray();
        ColorJitter.Blend(raw, 1.7f, 0f);
        Assert.All(raw[..Gray.Length], v => Assert.Equal(0f, v));
        Assert.All(raw[Gray.Length..], v => Assert.Equal(0.68f, v, 5));
    }

    [Fact]
    public void EveryRandAugmentOpKeepsPixelsInRangeAndIdentityIsIdentity()
    {
        foreach (var l in new[] { Gray, Rgb })
        {
            var src = Image(l, 11);
            foreach (var name in RandAugmentOps.Names)
                foreach (var level in new[] { 0.9, -0.9 })
                {
                    var raw = (float[])src.Clone();
                    RandAugmentOps.Registry[name].Op(raw, l, level);
                    ColorJitter.Clamp(raw);
                    Assert.All(raw, v => Assert.InRange(v, 0f, 1f));
                }
            var id = (float[])src.Clone();
            var before = (float[])id.Clone();
            RandAugmentOps.Registry["Identity"].Op(id, l, 0.9);
            Assert.Equal(before, id);
        }
        Assert.Contains("Rotate", RandAugmentOps.Names);
        Assert.True(RandAugmentOps.Names.Count >= 14);
    }

    [Fact]
    public void MixupMixesInputsAndLabelsWithOneSeededLambda()
    {
        var mixer = new BatchMixer(0.8, 0);
        int[] seeds = [5, 6, 7, 8];
        var plan = mixer.Plan(seeds, 16, 16);
        Assert.Equal(plan, mixer.Plan(seeds, 16, 16));
        Assert.False(plan.CutMix);
        Assert.InRange(plan.Lambda, 0, 1);
        Assert.NotEqual(plan.Lambda, mixer.Plan([5, 6, 7, 9], 16, 16).Lambda);
        var lambdas = Enumerable.Range(0, 400).Select(i => mixer.Plan([i, i + 1], 16, 16).Lambda).ToArray();
        Assert.InRange(lambdas.Average(), 0.45, 0.55); // Beta(α, α) is symmetric
        Assert.Contains(lambdas, v => v < 0.1);

        int n = 4, len = Gray.Length;
        var x = Enumerable.Range(0, n).SelectMany(i => Image(Gray, 20 + i)).ToArray();
        var mixed = (float[])x.Clone();
        BatchMixer.MixInputs(mixed, n, Gray, plan);
        for (int k = 0; k < len; k += 37)
            Assert.Equal(plan.Lambda * x[k] + (1 - plan.Lambda) * x[(n - 1) * len + k], mixed[k], 4);
        var labels = new float[n * 3];
        int[] y = [0, 1, 2, 2];
        for (int i = 0; i < n; i++) labels[i * 3 + y[i]] = 1;
        BatchMixer.MixRows(labels, n, 3, plan.Lambda);
        Assert.Equal(plan.Lambda, labels[0], 5);
        Assert.Equal(1 - plan.Lambda, labels[2], 5);
        for (int i = 0; i < n; i++) Assert.Equal(1f, labels[i * 3] + labels[i * 3 + 1] + labels[i * 3 + 2], 5);
    }

    [Fact]
    public void CutMixPastesThePartnersBoxAndLambdaIsItsArea()
    {
        var mixer = new BatchMixer(0, 1.0);
        var plans = Enumerable.Range(0, 50).Select(i => mixer.Plan([i, 2 * i], 16, 16)).ToArray();
        Assert.All(plans, p => Assert.True(p.CutMix));
        var plan = plans.First(p => p.BoxHeight > 2 && p.BoxWidth > 2);
        Assert.Equal(1 - plan.BoxHeight * plan.BoxWidth / 256.0, plan.Lambda, 9);
        var a = Image(Gray, 1);
        var b = Image(Gray, 2);
        var batch = a.Concat(b).ToArray();
        BatchMixer.MixInputs(batch, 2, Gray, plan);
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++)
            {
                bool inBox = y >= plan.Top && y < plan.Top + plan.BoxHeight && x >= plan.Left && x < plan.Left + plan.BoxWidth;
                Assert.Equal(inBox ? b[y * 16 + x] : a[y * 16 + x], batch[y * 16 + x]);
            }
    }

    [Fact]
    public void ConfigParsesRoundTripsAndNamesBadTerms()
    {
        var c = AugmentConfig.Parse("flip, translate=3,rrc=0.6,jitter=0.2,randaug=2x9,erase=0.25,mixup=0.8,cutmix=1.0");
        Assert.Equal("flip,translate=3,rrc=0.6,jitter=0.2,randaug=2x9,erase=0.25,mixup=0.8,cutmix=1.0", c.ToString());
        Assert.Equal("flip,translate=3,rrc=0.6,jitter=0.2,randaug=2x9,erase=0.25", c.SampleTerms.ToString());
        Assert.True(c.HasBatchTerms);
        var built = AugmentRegistry.Build(c);
        Assert.Equal(6, built.Ops.Count);
        Assert.NotNull(built.Mixer);
        Assert.Empty(AugmentConfig.Parse("none").Terms);
        Assert.Contains("blur", Assert.Throws<EdgeException>(() => AugmentConfig.Parse("flip,blur=3")).Message);
        Assert.Contains("rrc=2", Assert.Throws<EdgeException>(() => AugmentConfig.Parse("rrc=2")).Message);
        Assert.Contains("randaug=9", Assert.Throws<EdgeException>(() => AugmentConfig.Parse("randaug=9")).Message);
        Assert.Contains("twice", Assert.Throws<EdgeException>(() => AugmentConfig.Parse("flip,flip")).Message);
    }

    [Fact]
    public void CrossEntropyTakesMixedLabelDistributions()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 1, 2, 0.5f, -1, 0, 3 }, [2, 3]);
        var hard = tensor(new long[] { 1, 2 });
        var oneHot = tensor(new float[] { 0, 1, 0, 0, 0, 1 }, [2, 3]);
        var ce = new CrossEntropyLoss(0.1);
        var student = new DistillOutputs(logits);
        Assert.Equal(ce.Compute(student, null, hard).item<float>(), ce.Compute(student, null, oneHot).item<float>(), 5);
        var mixed = tensor(new float[] { 0.3f, 0.7f, 0, 0, 0.4f, 0.6f }, [2, 3]);
        var expected = -(mixed * nn.functional.log_softmax(logits, 1)).sum(1).mean().item<float>();
        Assert.Equal(expected, new CrossEntropyLoss().Compute(student, null, mixed).item<float>(), 5);
    }
}
