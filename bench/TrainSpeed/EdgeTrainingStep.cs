using Edge.Core;
using Edge.Distill.Losses;
using Edge.Distill.Models;
using Edge.Distill.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Bench.TrainSpeed;

/// <summary>
/// Edge's training step as <see cref="DistillTrainer"/> takes it, on a pool of synthetic batches resident on the
/// device: the learning rate set on every group, the objective <c>1.0*kd + 0.5*ce</c> against fixed teacher logits
/// (the trainer's cached-teacher path), the trainer's AdamW groups (<see cref="LayerDecay"/>: no decay on norms,
/// biases, attention biases) and <see cref="MixedPrecision.Step"/> (backward, clipping at 5, step), the loss summed
/// on the device by <see cref="LossMeter"/>. Built once per (student, batch, optimizer); <see cref="Round"/> times steps.
/// </summary>
public sealed class EdgeTrainingStep : IDisposable
{
    public const double LearningRate = 2e-3, WeightDecay = 0.05, Clip = 5.0;
    private const int Pool = 4;

    private readonly StudentModel _model;
    private readonly WeightedLoss _objective;
    private readonly MixedPrecision _precision;
    private readonly OptimizerHelper _optimizer;
    private readonly IReadOnlyList<double> _scales;
    private readonly Tensor _images, _labels, _teacher;
    private readonly torch.Device _device;
    private readonly int _batch;
    private long _step;

    public EdgeTrainingStep(string student, TinyVitConfig config, int batch, string optimizer, torch.Device device, TrainingPrecision precision)
    {
        _batch = batch;
        _device = device;
        torch.random.manual_seed(0);
        _model = StudentRegistry.Create(student, config);
        _model.to(device);
        _model.train();
        _objective = LossRegistry.Compose(LossWeight.ParseList("kd=1,ce=0.5"));
        _precision = new MixedPrecision(precision, _model, _objective.Parameters);
        var groups = LayerDecay.Build(_model, _objective.Parameters, LearningRate, WeightDecay, null, _precision.OptimizerParameter);
        _scales = groups.Scales;
        _optimizer = OptimizerKind(optimizer) == Kind.Trainer
            ? FusedAdamW.Create(groups.Groups, LearningRate, WeightDecay, _precision.IsMixed)
            : torch.optim.AdamW(groups.Groups, lr: LearningRate, weight_decay: WeightDecay);
        var c = _model.Config;
        _images = randn([Pool * batch, c.InChannels, c.ImageSize, c.ImageSize], device: device).DetachFromDisposeScope();
        _labels = randint(0, c.NumClasses, [Pool * batch], device: device).DetachFromDisposeScope();
        _teacher = (randn([Pool * batch, c.NumClasses], device: device) * 3).DetachFromDisposeScope();
        Parameters = _model.ParameterCount;
    }

    public enum Kind { Trainer, TorchSharp }

    public static Kind OptimizerKind(string name) => name switch
    {
        "trainer" => Kind.Trainer,
        "torchsharp" => Kind.TorchSharp,
        _ => throw new EdgeException($"unknown optimizer '{name}' for --optimizers: use trainer (the trainer's), torchsharp (TorchSharp's AdamW)"),
    };

    public long Parameters { get; }

    /// <summary>Runs <paramref name="warmup"/> untimed and <paramref name="steps"/> timed steps; images per second and
    /// the mean loss. The clock starts and stops on a read of the loss sum, which waits for the device.</summary>
    public (double ImagesPerSecond, double Seconds, double Loss) Round(int steps, int warmup)
    {
        using (var warm = new LossMeter(_device, int.MaxValue))
        {
            for (int i = 0; i < warmup; i++) Step(warm);
            Sync(warm);
        }
        using var meter = new LossMeter(_device, int.MaxValue);
        if (Phases is not null) Array.Clear(Phases);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < steps; i++) Step(meter);
        double loss = Sync(meter);
        double seconds = clock.Elapsed.TotalSeconds;
        return (steps * _batch / seconds, seconds, loss);
    }

    private void Step(LossMeter meter)
    {
        // The same cosine as the PyTorch side, so both set a changing rate on every group every step.
        double lr = LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (++_step % 1000) / 1000));
        int g = 0;
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr * _scales[g++];
        using var scope = NewDisposeScope();
        long start = _step % Pool * _batch;
        var x = _images.narrow(0, start, _batch);
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        _optimizer.zero_grad();
        var student = new Edge.Distill.Losses.DistillOutputs(_model.call(x));
        var loss = _objective.Compute(student, new Edge.Distill.Losses.DistillOutputs(_teacher.narrow(0, start, _batch)), _labels.narrow(0, start, _batch));
        if (Phases is null)
        {
            if (_precision.Step(loss, _optimizer, Clip)) meter.Add(loss, _batch);
            return;
        }
        // --breakdown: the same ops as MixedPrecision.Step for float32, timed one by one (the CPU runs them synchronously).
        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        loss.backward();
        long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
        MixedPrecision.ClipGradNorm([.. _optimizer.parameters()], Clip);
        long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
        _optimizer.step();
        meter.Add(loss, _batch);
        long t4 = System.Diagnostics.Stopwatch.GetTimestamp();
        double f = 1.0 / System.Diagnostics.Stopwatch.Frequency;
        Phases[0] += (t1 - t0) * f; Phases[1] += (t2 - t1) * f; Phases[2] += (t3 - t2) * f; Phases[3] += (t4 - t3) * f;
    }

    /// <summary>Seconds in zero_grad + forward + loss, backward, clipping, optimizer step, summed over timed steps
    /// when <c>--breakdown</c> is on (null otherwise).</summary>
    public double[]? Phases { get; set; }

    private double Sync(LossMeter meter)
    {
        if (_device.type == DeviceType.CUDA) torch.cuda.synchronize(_device);
        return meter.Read(0, 0, 0);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _precision.Dispose();
        _model.Dispose();
        _images.Dispose();
        _labels.Dispose();
        _teacher.Dispose();
    }
}
