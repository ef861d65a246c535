using Edge.Core;
using Edge.Distill.Losses;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Losses;

public class LossTests
{
    private static DistillOutputs Out(Tensor logits) => new(logits);

    private static (Tensor S, Tensor T, Tensor Y) Batch(long n = 16, long c = 10, int seed = 1)
    {
        var g = new Generator((ulong)seed);
        return (randn([n, c], generator: g), randn([n, c], generator: g) * 2, randint(0, c, [n], generator: g));
    }

    [Fact]
    public void HintonKdMatchesTheDefinitionAndVanishesWhenEqual()
    {
        using var scope = NewDisposeScope();
        var (s, t, y) = Batch();
        double T = 4;
        var loss = new HintonKdLoss(T).Compute(Out(s), Out(t), y).item<float>();
        var p = nn.functional.softmax(t / T, 1);
        var expected = ((p * (p.log() - nn.functional.log_softmax(s / T, 1))).sum(1).mean() * (T * T)).item<float>();
        Assert.Equal(expected, loss, 4);
        Assert.Equal(0f, new HintonKdLoss(T).Compute(Out(t), Out(t), y).item<float>(), 5);
    }

    [Fact]
    public void CrossEntropyAppliesLabelSmoothing()
    {
        using var scope = NewDisposeScope();
        var (s, _, y) = Batch();
        var plain = new CrossEntropyLoss().Compute(Out(s), null, y).item<float>();
        var smooth = new CrossEntropyLoss(0.1).Compute(Out(s), null, y).item<float>();
        Assert.NotEqual(plain, smooth);
        Assert.False(new CrossEntropyLoss().NeedsTeacher);
    }

    [Fact]
    public void HardLabelKdIsCrossEntropyWithTheTeachersArgmax()
    {
        using var scope = NewDisposeScope();
        var (s, t, y) = Batch();
        var expected = nn.functional.cross_entropy(s, t.argmax(1)).item<float>();
        Assert.Equal(expected, new HardLabelKdLoss().Compute(Out(s), Out(t), y).item<float>(), 5);
    }

    [Fact]
    public void SparseTargetsKeepTopKAndSpreadTheRest()
    {
        using var scope = NewDisposeScope();
        var probs = tensor(new float[] { 0.5f, 0.2f, 0.1f, 0.1f, 0.05f, 0.05f }).reshape(1, 6);
        var dense = SparseSoftTargetLoss.Densify(probs, 2);
        var v = dense.data<float>().ToArray();
        Assert.Equal(0.5f, v[0], 5);
        Assert.Equal(0.2f, v[1], 5);
        for (int i = 2; i < 6; i++) Assert.Equal(0.3f / 4, v[i], 5);
        Assert.Equal(1f, dense.sum().item<float>(), 5);
        var (s, t, y) = Batch();
        Assert.True(new SparseSoftTargetLoss(3).Compute(Out(s), Out(t), y).item<float>() > 0);
    }

    [Fact]
    public void RckaIsZeroForScaledCopiesAndPositiveOtherwise()
    {
        using var scope = NewDisposeScope();
        var (s, t, y) = Batch();
        Assert.Equal(0f, new RckaLoss(15).Compute(Out(t * 3 + 1), Out(t), y).item<float>(), 3);
        Assert.True(new RckaLoss(15, interClass: true).Compute(Out(s), Out(t), y).item<float>() > 0.1f);
    }

    [Fact]
    public void DkdIsZeroWhenEqualAndPositiveOtherwise()
    {
        using var scope = NewDisposeScope();
        var (s, t, y) = Batch();
        Assert.Equal(0f, new DkdLoss().Compute(Out(t), Out(t), y).item<float>(), 4);
        Assert.True(new DkdLoss().Compute(Out(s), Out(t), y).item<float>() > 0);
    }

    [Fact]
    public void FeatureLossesRunOnMismatchedShapes()
    {
        using var scope = NewDisposeScope();
        var pairs = new[] { new FeaturePair("s", "t") };
        var student = new DistillOutputs(randn(8, 10)) { Features = new Dictionary<string, Tensor> { ["s"] = randn(8, 16, 8, 8) } };
        var teacher = new DistillOutputs(randn(8, 10)) { Features = new Dictionary<string, Tensor> { ["t"] = randn(8, 32, 4, 4) } };
        var labels = randint(0, 10, [8]);
        var fitnet = new FitNetLoss(pairs);
        Assert.True(fitnet.Compute(student, teacher, labels).item<float>() > 0);
        Assert.Single(fitnet.Parameters);
        Assert.Single(((IDistillLoss)fitnet).Parameters); // what the trainer sees: the projector must reach the optimizer
        Assert.InRange(new FeatureCkaLoss(pairs).Compute(student, teacher, labels).item<float>(), 0f, 1f);
        Assert.InRange(new PatchCkaLoss(pairs, 2).Compute(student, teacher, labels).item<float>(), 0f, 1f);
        Assert.True(new AttentionTransferLoss(pairs).Compute(student, teacher, labels).item<float>() >= 0);
        var e = Assert.Throws<EdgeException>(() => new FitNetLoss([new FeaturePair("x", "t")]).Compute(student, teacher, labels));
        Assert.Contains("'x'", e.Message);
    }

    [Fact]
    public void WeightedSumPrintsItselfAndRestrictsTeacherLossesToCoveredRows()
    {
        using var scope = NewDisposeScope();
        var objective = LossRegistry.Compose(LossWeight.ParseList("kd=1, ce=0.5"));
        Assert.Equal("1.0*kd + 0.5*ce", objective.ToString());
        var (s, t, y) = Batch(8);
        var rows = tensor(new long[] { 1, 3 });
        var value = objective.Compute(Out(s), Out(t.index_select(0, rows)), y, rows).item<float>();
        var expected = new HintonKdLoss().Compute(Out(s.index_select(0, rows)), Out(t.index_select(0, rows)), y).item<float>()
                       + 0.5f * nn.functional.cross_entropy(s, y).item<float>();
        Assert.Equal(expected, value, 4);
        // No teacher rows in this batch: only the label loss counts.
        Assert.Equal(0.5f * nn.functional.cross_entropy(s, y).item<float>(), objective.Compute(Out(s), null, y).item<float>(), 5);
    }

    [Fact]
    public void UnknownLossAndBadWeightsFailWithTheFix()
    {
        var e = Assert.Throws<EdgeException>(() => LossRegistry.Create("kld"));
        foreach (var name in LossRegistry.Names) Assert.Contains(name, e.Message);
        Assert.Throws<EdgeException>(() => LossWeight.ParseList("kd=abc"));
        Assert.Throws<EdgeException>(() => LossRegistry.Compose([new LossWeight("kd", -1)]));
        Assert.Equal(11, LossRegistry.Names.Count);
    }
}
