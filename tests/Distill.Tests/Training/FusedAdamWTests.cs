using Edge.Distill.Losses;
using Edge.Distill.Models;
using Edge.Distill.Training;
using Edge.Testing;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Training;

/// <summary>
/// FusedAdamW against TorchSharp's AdamW, the reference implementation it replaces: the same student, groups (decay and
/// no decay), changing learning rates, objective and clipped step (MixedPrecision.Step) give the same weights and
/// moments; a checkpoint written mid-run resumes to the same weights as the uninterrupted run.
/// </summary>
public class FusedAdamWTests
{
    private const int Batch = 6;

    private sealed class Run : IDisposable
    {
        public readonly StudentModel Model;
        public readonly AdamW Optimizer;
        public readonly IReadOnlyList<double> Scales;
        private readonly WeightedLoss _objective = LossRegistry.Compose(LossWeight.ParseList("kd=1,ce=0.5"));
        private readonly MixedPrecision _precision;

        public Run(bool fused)
        {
            torch.random.manual_seed(3);
            Model = StudentRegistry.Create("tinyvit-quick-32");
            Model.train();
            _precision = new MixedPrecision(TrainingPrecision.Fp32, Model, []);
            var groups = LayerDecay.Build(Model, [], 2e-3, 0.05, null);
            Scales = groups.Scales;
            Optimizer = fused ? FusedAdamW.Create(groups.Groups, 2e-3, 0.05, mixedPrecision: false) : optim.AdamW(groups.Groups, lr: 2e-3, weight_decay: 0.05);
        }

        public void Steps(int from, int count, double clip = 0.5)
        {
            for (int s = from; s < from + count; s++)
            {
                int g = 0;
                foreach (var group in Optimizer.ParamGroups) group.LearningRate = 2e-3 * (1 - 0.1 * s) * Scales[g++];
                using var scope = NewDisposeScope();
                var gen = new Generator((ulong)(100 + s));
                var x = randn([Batch, 1, 32, 32], generator: gen);
                var y = randint(0, 10, [Batch], generator: gen);
                var t = randn([Batch, 10], generator: gen) * 3;
                Optimizer.zero_grad();
                var loss = _objective.Compute(new DistillOutputs(Model.call(x)), new DistillOutputs(t), y);
                // Clipping at 0.5 is active here: the fused optimizer offers the clip one flat tensor.
                Assert.True(_precision.Step(loss, Optimizer, clip));
            }
        }

        public void Dispose()
        {
            Optimizer.Dispose();
            _precision.Dispose();
            Model.Dispose();
        }
    }

    private static double MaxDifference(StudentModel a, StudentModel b) =>
        a.parameters().Zip(b.parameters(), (p, q) => (p - q).abs().max().item<float>()).Max();

    [Fact]
    public void StepsLikeTorchSharpsAdamW()
    {
        using var reference = new Run(fused: false);
        using var fused = new Run(fused: true);
        Assert.IsType<FusedAdamW>(fused.Optimizer);
        Assert.Equal(0, MaxDifference(reference.Model, fused.Model));
        reference.Steps(0, 4, clip: 0);
        fused.Steps(0, 4, clip: 0);
        // Same formulas in the same order, element for element.
        double diff = MaxDifference(reference.Model, fused.Model);
        Assert.True(diff < 1e-6, $"weights differ by {diff:E2} after 4 steps");
        Assert.True(MaxDifference(reference.Model, new Run(fused: false).Model) > 1e-4, "the steps did not move the weights");
        // The checkpointed moments are the same records.
        using var a = new MemoryStream();
        using var b = new MemoryStream();
        using (var w = new BinaryWriter(a, System.Text.Encoding.UTF8, leaveOpen: true)) reference.Optimizer.save_state_dict(w);
        using (var w = new BinaryWriter(b, System.Text.Encoding.UTF8, leaveOpen: true)) fused.Optimizer.save_state_dict(w);
        Assert.Equal(a.Length - "AdamW".Length, b.Length - "FusedAdamW".Length);
    }

    [Fact]
    public void ClipsLikeThePerParameterClip()
    {
        // The global norm is summed in another order (one tensor instead of a norm of norms): a last-bit difference
        // in the clip coefficient. Adam amplifies last bits on near-zero gradients over many steps, so one step is
        // compared here.
        using var reference = new Run(fused: false);
        using var fused = new Run(fused: true);
        reference.Steps(0, 1, clip: 0.5);
        fused.Steps(0, 1, clip: 0.5);
        double diff = MaxDifference(reference.Model, fused.Model);
        Assert.True(diff < 1e-6, $"weights differ by {diff:E2} after a clipped step");
        Assert.True(MaxDifference(reference.Model, new Run(fused: true).Model) > 1e-4, "the step did not move the weights");
    }

    [Fact]
    public void ZeroGradAndTheClipTensorCoverEveryParameter()
    {
        using var run = new Run(fused: true);
        run.Steps(0, 1);
        var flat = Assert.Single(run.Optimizer.parameters());
        Assert.Equal(run.Model.ParameterCount, flat.numel());
        double perParameter = Math.Sqrt(run.Model.parameters().Sum(p => Math.Pow(p.grad!.norm().item<float>(), 2)));
        Assert.Equal(perParameter, flat.grad!.norm().item<float>(), 3);
        Assert.True(perParameter > 0);
        run.Optimizer.zero_grad();
        Assert.All(run.Model.parameters(), p => Assert.Equal(0f, p.grad!.abs().max().item<float>()));
    }

    [Fact]
    public void ACheckpointResumesToTheUninterruptedRun()
    {
        using var dir = new TempDir();
        string path = dir.File("ckpt.bin");
        using var uninterrupted = new Run(fused: true);
        uninterrupted.Steps(0, 4);

        using (var first = new Run(fused: true))
        {
            first.Steps(0, 2);
            Checkpoint.Save(path, new CheckpointState(1, 2, "test", []), first.Model, first.Optimizer, []);
        }
        using var resumed = new Run(fused: true);
        Checkpoint.Load(path, resumed.Model, resumed.Optimizer, []);
        resumed.Steps(2, 2);
        Assert.Equal(0, MaxDifference(uninterrupted.Model, resumed.Model));
    }

    [Fact]
    public void StateCopiedFromAnotherOptimizerLandsInTheFlatBuffers()
    {
        // TorchSharp's load_state_dict(StateDictionary) replaces each moment tensor with a copy; the fused update
        // must then read those values, not its old buffers.
        using var source = new Run(fused: true);
        source.Steps(0, 2);
        using var target = new Run(fused: true);
        using (no_grad())
            foreach (var (p, q) in target.Model.parameters().Zip(source.Model.parameters())) p.copy_(q);
        target.Optimizer.load_state_dict(source.Optimizer.state_dict());
        source.Steps(2, 1);
        target.Steps(2, 1);
        Assert.Equal(0, MaxDifference(source.Model, target.Model));
    }
}
