using System.Diagnostics;
using Edge.Distill.Models;
using Edge.Distill.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Device;

/// <summary>One tiny training step's outcome on a device in a precision.</summary>
public sealed record StepCheck(string Device, string Precision, bool Ok, double MillisecondsPerStep, string Detail);

/// <summary>What <c>edge doctor</c> asks TorchSharp: which libtorch runs, whether CUDA works, and whether training steps run.</summary>
public static class TorchDiagnostics
{
    public const string Student = "tinyvit-quick-32";
    public const int Batch = 8;

    /// <summary>
    /// Forward, fp32 loss, backward and an AdamW step of <see cref="Student"/> on a random batch, through the same
    /// <see cref="MixedPrecision"/> step the trainer uses; the time is the mean of 3 steps after one warm-up step.
    /// Any failure (an op missing for a dtype, a CUDA error) is reported, never thrown: this is a diagnosis.
    /// </summary>
    public static StepCheck TrainingStep(torch.Device device, TrainingPrecision precision)
    {
        string name = TrainingPrecisions.Name(precision);
        try
        {
            using var scope = NewDisposeScope();
            torch.random.manual_seed(0);
            var model = StudentRegistry.Create(Student);
            model.to(device);
            model.train();
            using var mp = new MixedPrecision(precision, model, []);
            var parameters = model.named_parameters().Select(p => mp.OptimizerParameter(p.name, p.parameter)).ToArray();
            using var optimizer = torch.optim.AdamW(parameters, lr: 1e-3);
            var c = model.Config;
            var x = randn([Batch, c.InChannels, c.ImageSize, c.ImageSize], device: device);
            var y = randint(0, c.NumClasses, [Batch], device: device);
            double last = 0;
            var clock = new Stopwatch();
            for (int i = 0; i < 4; i++)
            {
                if (i == 1) { Sync(device); clock.Start(); }
                using var stepScope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(x), y);
                mp.Step(loss, optimizer, clipNorm: 5);
                if (i == 3) last = loss.item<float>(); // the one host read, which also waits for the device
            }
            clock.Stop();
            if (!double.IsFinite(last)) return new StepCheck(device.ToString(), name, false, 0, $"loss is {last}");
            return new StepCheck(device.ToString(), name, true, clock.Elapsed.TotalMilliseconds / 3,
                $"{Student}, batch {Batch}: forward + backward + AdamW, loss {last:F3}");
        }
        catch (Exception e)
        {
            return new StepCheck(device.ToString(), name, false, 0, e.Message.Split('\n')[0]);
        }
    }

    private static void Sync(torch.Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
    }
}
