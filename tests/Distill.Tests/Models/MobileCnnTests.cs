using Edge.Core;
using Edge.Distill.Models;
using Edge.Distill.Models.Layers;
using Edge.Distill.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Models;

/// <summary>The EfficientNet and MobileNetV3 families: presets, timm naming, taps, depths, configs.</summary>
public class MobileCnnTests(ITestOutputHelper output)
{
    public static TheoryData<string> CnnPresets => new()
    {
        "efficientnet-b0", "efficientnet-64", "efficientnet-quick-32",
        "mobilenetv3-large", "mobilenetv3-small", "mobilenetv3-64", "mobilenetv3-quick-32",
    };

    /// <summary>The papers' (and timm's and torchvision's) counts at 224x224x3, 1000 classes: B0 5.29 M,
    /// MobileNetV3-Large 5.48 M, -Small 2.54 M. TorchvisionParityTests checks the exact counts and the computed function.</summary>
    [Theory]
    [InlineData("efficientnet-b0", 5_290_000)]
    [InlineData("mobilenetv3-large", 5_480_000)]
    [InlineData("mobilenetv3-small", 2_540_000)]
    public void PaperPresetsMatchPaperParameterCounts(string name, long paper)
    {
        using var model = StudentRegistry.Create(name);
        output.WriteLine($"{name}: {model.ParameterCount:N0} parameters (paper {paper:N0})");
        Assert.InRange(model.ParameterCount, (long)(paper * 0.98), (long)(paper * 1.02));
        Assert.Equal(paper, StudentRegistry.ReferenceParameters(name));
    }

    [Theory]
    [MemberData(nameof(CnnPresets))]
    public void PresetsMapImagesToLogitsAndTheirTapsExist(string name)
    {
        using var scope = NewDisposeScope();
        using var model = StudentRegistry.Create(name);
        var c = model.Config;
        model.eval();
        using var hooks = new FeatureHooks(model, [.. model.FeatureTaps.Select(t => t.Path)]);
        using var _ = no_grad();
        var logits = model.call(randn(2, c.InChannels, c.ImageSize, c.ImageSize));
        Assert.Equal(new long[] { 2, c.NumClasses }, logits.shape);
        Assert.False(logits.isnan().any().item<bool>());
        var features = hooks.Take();
        foreach (var tap in model.FeatureTaps)
        {
            long side = (c.ImageSize + tap.Reduction - 1) / tap.Reduction;
            Assert.Equal(new long[] { 2, tap.Channels, side, side }, features[tap.Path].shape);
        }
        output.WriteLine($"{name}: {model.ParameterCount:N0} parameters; taps {string.Join(", ", model.FeatureTaps)}");
    }

    [Fact]
    public void EfficientNetStateDictFollowsTimm()
    {
        using var model = StudentRegistry.Create("efficientnet-b0");
        var keys = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        // timm efficientnet_b0: stage 0 is a depthwise-separable block (no expansion), the rest MBConv.
        Assert.Equal([32L, 3, 3, 3], keys["conv_stem.weight"]);
        Assert.Equal([32L], keys["bn1.running_var"]);
        Assert.Equal([32L, 1, 3, 3], keys["blocks.0.0.conv_dw.weight"]);
        Assert.Equal([8L, 32, 1, 1], keys["blocks.0.0.se.conv_reduce.weight"]);
        Assert.Equal([32L], keys["blocks.0.0.se.conv_expand.bias"]);
        Assert.Equal([16L, 32, 1, 1], keys["blocks.0.0.conv_pw.weight"]);
        Assert.Equal([96L, 16, 1, 1], keys["blocks.1.0.conv_pw.weight"]);
        Assert.Equal([96L, 1, 3, 3], keys["blocks.1.0.conv_dw.weight"]);
        Assert.Equal([4L, 96, 1, 1], keys["blocks.1.0.se.conv_reduce.weight"]);
        Assert.Equal([24L, 96, 1, 1], keys["blocks.1.0.conv_pwl.weight"]);
        Assert.Equal([24L], keys["blocks.1.1.bn3.weight"]);
        Assert.Equal([672L, 1, 5, 5], keys["blocks.5.0.conv_dw.weight"]);
        Assert.Equal([320L, 1152, 1, 1], keys["blocks.6.0.conv_pwl.weight"]);
        Assert.Equal([1280L, 320, 1, 1], keys["conv_head.weight"]);
        Assert.Equal([1280L], keys["bn2.bias"]);
        Assert.Equal([1000L, 1280], keys["classifier.weight"]);
        Assert.Equal(7, model.FeatureTaps.Count);
        Assert.Equal(new[] { 2, 4, 8, 16, 16, 32, 32 }, model.FeatureTaps.Select(t => t.Reduction));
    }

    [Fact]
    public void MobileNetV3StateDictFollowsTimm()
    {
        using var model = StudentRegistry.Create("mobilenetv3-large");
        var keys = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal([16L, 3, 3, 3], keys["conv_stem.weight"]);
        Assert.Equal([16L, 1, 3, 3], keys["blocks.0.0.conv_dw.weight"]);
        Assert.DoesNotContain(keys.Keys, k => k.StartsWith("blocks.0.0.se.", StringComparison.Ordinal));
        Assert.Equal([64L, 16, 1, 1], keys["blocks.1.0.conv_pw.weight"]);
        // SE from the expanded width, rounded to a multiple of 8: 72 / 4 = 18 -> 24 (torchvision's _make_divisible too).
        Assert.Equal([24L, 72, 1, 1], keys["blocks.2.0.se.conv_reduce.weight"]);
        Assert.Equal([184L, 80, 1, 1], keys["blocks.3.2.conv_pw.weight"]);
        Assert.Equal([960L, 160, 1, 1], keys["blocks.6.0.conv.weight"]);
        Assert.Equal([960L], keys["blocks.6.0.bn1.running_mean"]);
        Assert.Equal([1280L, 960, 1, 1], keys["conv_head.weight"]);
        Assert.Equal([1280L], keys["conv_head.bias"]);
        Assert.DoesNotContain("bn2.weight", keys.Keys);
        Assert.Equal([1000L, 1280], keys["classifier.weight"]);

        using var small = StudentRegistry.Create("mobilenetv3-small");
        var smallKeys = small.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal([8L, 16, 1, 1], smallKeys["blocks.0.0.se.conv_reduce.weight"]);
        Assert.Equal([88L, 24, 1, 1], smallKeys["blocks.1.1.conv_pw.weight"]);
        Assert.Equal([1024L, 576, 1, 1], smallKeys["conv_head.weight"]);
    }

    [Fact]
    public void WeightsStartAsTimmsGoogleInit()
    {
        manual_seed(5);
        using var model = StudentRegistry.Create("efficientnet-b0");
        var p = model.named_parameters().ToDictionary(x => x.name, x => x.parameter);
        // conv: normal(0, sqrt(2 / fan_out)), fan_out = k*k*out/groups; depthwise 3x3 over 96 channels: fan_out 9.
        Assert.InRange(p["blocks.1.0.conv_pw.weight"].std().item<float>(), Math.Sqrt(2.0 / 96) * 0.9, Math.Sqrt(2.0 / 96) * 1.1);
        Assert.InRange(p["blocks.1.0.conv_dw.weight"].std().item<float>(), Math.Sqrt(2.0 / 9) * 0.85, Math.Sqrt(2.0 / 9) * 1.15);
        Assert.Equal(0f, p["blocks.1.0.se.conv_reduce.bias"].abs().max().item<float>());
        Assert.Equal(1f, p["bn2.weight"].min().item<float>());
        // Linear: uniform(±1/sqrt(out)).
        float limit = (float)(1 / Math.Sqrt(1000));
        Assert.InRange(p["classifier.weight"].abs().max().item<float>(), limit * 0.99f, limit);
        Assert.Equal(0f, p["classifier.bias"].abs().max().item<float>());
    }

    [Fact]
    public void LayerDepthsFollowTimmGroupMatchers()
    {
        using var eff = StudentRegistry.Create("efficientnet-quick-32");
        var (ids, count) = eff.ParameterDepths();
        int blocks = ((EfficientNetConfig)eff.Config).ScaledStages().Sum(s => s.Sum(r => r.Repeats));
        Assert.Equal(1 + blocks + 2, count); // stem, each block, conv_head + bn2, classifier
        Assert.Equal(0, ids["conv_stem.weight"]);
        Assert.Equal(0, ids["bn1.bias"]);
        Assert.Equal(1, ids["blocks.0.0.conv_dw.weight"]);
        Assert.Equal(3, ids["blocks.2.0.se.conv_expand.weight"]);
        Assert.Equal(4, ids["blocks.2.1.conv_pwl.weight"]);
        Assert.Equal(count - 2, ids["conv_head.weight"]);
        Assert.Equal(count - 2, ids["bn2.weight"]);
        Assert.Equal(count - 1, ids["classifier.weight"]);

        using var mnv3 = StudentRegistry.Create("mobilenetv3-quick-32");
        var (mids, mcount) = mnv3.ParameterDepths();
        Assert.Equal(mcount - 1, mids["conv_head.weight"]); // timm: the efficient head goes with the classifier
        Assert.Equal(mcount - 1, mids["classifier.bias"]);
        Assert.Equal(mids["blocks.1.0.conv_pw.weight"] + 1, mids["blocks.1.1.conv_pw.weight"]);

        // Layer decay uses these depths: the stem moves at decay^(L-1) of the rate, the head at the full rate.
        var groups = LayerDecay.Build(eff, [], lr: 1e-3, weightDecay: 0.05, layerDecay: 0.5);
        Assert.Equal(Math.Pow(0.5, count - 1), groups.Scales.Min(), 12);
        Assert.Equal(1.0, groups.Scales.Max(), 12);
    }

    [Fact]
    public void BlockStringsReadAsTimmWritesThem()
    {
        var b = MobileBlockSpec.Parse("ir_r3_k5_s2_e2.3_c40_se0.25_nre");
        Assert.Equal(new MobileBlockSpec { Kind = MobileBlockKind.Ir, Repeats = 3, Kernel = 5, Stride = 2, Expand = 2.3, Channels = 40, SeRatio = 0.25, Activation = "relu" }, b);
        Assert.Equal("ir_r3_k5_s2_e2.3_c40_se0.25_nre", b.ToString());
        Assert.True(MobileBlockSpec.Parse("ds_r1_k3_s1_e1_c16_noskip").NoSkip);
        var e = Assert.Throws<EdgeException>(() => MobileBlockSpec.Parse("xx_r1_k3"));
        Assert.Contains("xx", e.Message);
        Assert.Contains("ir_r2_k3_s2_e6_c24_se0.25", e.Message);
    }

    [Fact]
    public void MakeDivisibleAndDepthScalingMatchTimm()
    {
        // timm make_divisible(v, 8): 18 -> 24 (16 is below 0.9 x 18), 88.08 -> 88, 184 -> 184, 30 -> 32, 4 -> 8.
        Assert.Equal(24, MobileStages.MakeDivisible(18));
        Assert.Equal(88, MobileStages.MakeDivisible(24 * 3.67));
        Assert.Equal(184, MobileStages.MakeDivisible(80 * 2.3));
        Assert.Equal(32, MobileStages.MakeDivisible(30));
        Assert.Equal(8, MobileStages.MakeDivisible(4));
        // timm _scale_stage_depth('ceil') of B0 at depth 0.5: repeats 1,2,2,3,3,4,1 -> 1,1,1,2,2,2,1.
        var half = EfficientNetPresets.B0 with { DepthMultiplier = 0.5 };
        Assert.Equal(new[] { 1, 1, 1, 2, 2, 2, 1 }, half.ScaledStages().Select(s => s.Sum(r => r.Repeats)));
        // B2's multipliers (1.1, 1.2): repeats 2,3,3,4,4,5,2 and widths 32->32, 320->352 as timm builds efficientnet_b2.
        var b2 = EfficientNetPresets.B0 with { WidthMultiplier = 1.1, DepthMultiplier = 1.2 };
        Assert.Equal(new[] { 2, 3, 3, 4, 4, 5, 2 }, b2.ScaledStages().Select(s => s.Sum(r => r.Repeats)));
        Assert.Equal(352, b2.ScaledStages()[6][0].Channels);
        Assert.Equal(1408, b2.ScaledHead);
    }

    [Fact]
    public void ConfigsRoundTripThroughJsonFilesAndPartialJsonOverlaysThePreset()
    {
        using var dir = new Edge.Testing.TempDir();
        foreach (var name in new[] { "efficientnet-quick-32", "mobilenetv3-small", "tinyvit-quick-32", "simple-cnn" })
        {
            var config = StudentRegistry.DefaultConfig(name);
            string path = dir.File(name + ".json");
            File.WriteAllText(path, config.ToJson());
            var back = StudentRegistry.ConfigFromFile(name, path);
            Assert.Equal(config.ToJson(), back.ToJson());
            Assert.Equal(config.GetType(), back.GetType());
            Assert.StartsWith($"{{\n  \"family\": \"{config.Family}\"", config.ToJson().ReplaceLineEndings("\n"));
        }
        var tuned = (MobileNetV3Config)StudentRegistry.ParseConfig("mobilenetv3-quick-32",
            """{ "numClasses": 7, "stages": [[{ "kind": "ir", "channels": 24, "expand": 4, "stride": 2, "seRatio": 0.25 }]], "activation": "relu" }""");
        Assert.Equal(7, tuned.NumClasses);
        Assert.Equal("relu", tuned.Activation);
        Assert.Equal(MobileBlockKind.Ir, Assert.Single(Assert.Single(tuned.Stages)).Kind);
        Assert.Equal(MobileNetV3Presets.Quick32.HeadChannels, tuned.HeadChannels);
        using var model = StudentRegistry.Create("mobilenetv3-quick-32", tuned);
        Assert.Equal(7, model.Config.NumClasses);
    }

    [Theory]
    [InlineData("efficientnet-quick-32", """{ "widthMultipler": 2 }""", "widthMultipler")]
    [InlineData("efficientnet-quick-32", """{ "activation": "swish" }""", "swish")]
    [InlineData("efficientnet-quick-32", """{ "stages": [[{ "kind": "ir", "channels": 8, "kernel": 4 }]] }""", "Stages[0][0]")]
    [InlineData("mobilenetv3-quick-32", """{ "seGate": "relu" }""", "SeGate")]
    [InlineData("mobilenetv3-quick-32", """{ "stages": [[{ "kind": "xx" }]] }""", "wrong type")]
    [InlineData("mobilenetv3-quick-32", """{ "family": "tinyvit" }""", "tinyvit")]
    [InlineData("simple-cnn", """{ "widths": [8, 16] }""", "Widths")]
    public void InvalidConfigsNameTheField(string name, string json, string expected)
    {
        var e = Assert.Throws<EdgeException>(() => StudentRegistry.ParseConfig(name, json));
        output.WriteLine(e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ConfigsOfAnotherFamilyAreRefusedByName()
    {
        var e = Assert.Throws<EdgeException>(() => StudentRegistry.Create("efficientnet-quick-32", StudentRegistry.DefaultConfig("mobilenetv3-quick-32")));
        Assert.Contains("mobilenetv3", e.Message);
        Assert.Contains("efficientnet", e.Message);
        Assert.Throws<EdgeException>(() => StudentRegistry.Create<TinyVitConfig>("efficientnet-b0", c => c));
    }

    [Fact]
    public void WithInputAndWithClassesRetargetOrNameWhatCannot()
    {
        var eff = StudentRegistry.DefaultConfig("efficientnet-b0").WithInput(1, 64).WithClasses(10);
        Assert.Equal((1, 64, 10), (eff.InChannels, eff.ImageSize, eff.NumClasses));
        using (var model = StudentRegistry.Create("efficientnet-b0", eff))
        using (no_grad())
        {
            model.eval();
            Assert.Equal(new long[] { 1, 10 }, model.call(randn(1, 1, 64, 64)).shape);
        }

        // Five stride-2 layers: the last sees ceil(16 / 16) = 1 pixel; 17 is the smallest side where each sees 2+.
        var e = Assert.Throws<EdgeException>(() => StudentRegistry.DefaultConfig("efficientnet-b0").WithInput(3, 16));
        Assert.Contains("Stages[5]", e.Message);
        Assert.Contains("17", e.Message);
        StudentRegistry.DefaultConfig("efficientnet-b0").WithInput(3, 17);

        // TinyViT-5M's windows (7, 14, 7) are wider than its 4, 2, 1 maps at 32 px.
        var v = Assert.Throws<EdgeException>(() => StudentRegistry.DefaultConfig("tinyvit-5m").WithInput(1, 32));
        Assert.Contains("WindowSizes[1]", v.Message);
        Assert.Equal(3, StudentRegistry.DefaultConfig("tinyvit-5m-32").WithInput(3, 32).InChannels);
        Assert.Throws<EdgeException>(() => StudentRegistry.DefaultConfig("mobilenetv3-small").WithClasses(0));
    }

    /// <summary>Gradient flow end to end through SE, drop path and both heads: a few AdamW steps fit 16 random images.</summary>
    [Theory]
    [InlineData("efficientnet-quick-32")]
    [InlineData("mobilenetv3-quick-32")]
    public void QuickStudentsCanFitASmallBatch(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var model = StudentRegistry.Create(name, c => c switch
        {
            MobileCnnConfig m => m with { DropPathRate = 0.1 },
            _ => c,
        });
        model.train();
        var opt = optim.AdamW(model.parameters(), lr: 3e-3);
        var x = randn(16, 1, 32, 32);
        var y = randint(0, 10, [16]);
        float first = 0, last = 0;
        for (int step = 0; step < 12; step++)
        {
            using var stepScope = NewDisposeScope();
            opt.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            opt.step();
            last = loss.item<float>();
            if (step == 0) first = last;
        }
        output.WriteLine($"{name}: loss {first:F3} -> {last:F3}");
        Assert.True(last < first * 0.5, $"loss {first} -> {last}");
    }

    [Fact]
    public void SqueezeExciteScalesChannelsByTheGatedPooledInput()
    {
        using var scope = NewDisposeScope();
        var se = new SqueezeExcite(4, 2, "relu", "hardsigmoid");
        se.eval();
        using var _ = no_grad();
        var x = randn(2, 4, 3, 3);
        var w1 = se.ConvReduce.weight.reshape(2, 4); var b1 = se.ConvReduce.bias!;
        var w2 = se.ConvExpand.weight.reshape(4, 2); var b2 = se.ConvExpand.bias!;
        var pooled = x.mean([2, 3]);                                     // [2, 4]
        var hidden = (pooled.matmul(w1.t()) + b1).relu();
        var gate = ((hidden.matmul(w2.t()) + b2 + 3).clamp(0, 6) / 6).reshape(2, 4, 1, 1);
        Assert.True(se.call(x).allclose(x * gate, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void ResidualOnlyWhereStrideOneKeepsTheShape()
    {
        Assert.True(new InvertedResidual(16, 64, 16, 3, 1, "relu", null, false, 0).HasSkip);
        Assert.False(new InvertedResidual(16, 64, 16, 3, 2, "relu", null, false, 0).HasSkip);
        Assert.False(new InvertedResidual(16, 64, 24, 3, 1, "relu", null, false, 0).HasSkip);
        Assert.False(new InvertedResidual(16, 64, 16, 3, 1, "relu", null, true, 0).HasSkip);
        Assert.True(new DepthwiseSeparable(16, 16, 3, 1, "relu", null, false, 0).HasSkip);
        Assert.False(new ConvBnAct(160, 960, 1, 1, "hardswish", false, 0).HasSkip);
    }
}
