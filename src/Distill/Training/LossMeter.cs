using Edge.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Distill.Training;

/// <summary>
/// The epoch's running loss, summed on the training device. Reading a loss with <c>item()</c> every step makes the
/// host wait for the GPU to drain its queue, which costs most of the step on a small model; here the sum stays on
/// the device and is read only every <c>readEvery</c> steps and at the end of the epoch (where the NaN check runs).
/// </summary>
public sealed class LossMeter : IDisposable
{
    private readonly Tensor _sum;
    private readonly int _readEvery;
    private long _pendingSteps, _lastReadStep;
    private double _hostSum;
    private long _count, _pendingCount;

    public LossMeter(torch.Device device, int readEvery)
    {
        if (readEvery < 1) throw new EdgeException($"the loss read interval must be at least 1 step, got {readEvery}");
        _readEvery = readEvery;
        _sum = zeros(1, ScalarType.Float64, device);
    }

    /// <summary>Mean loss per sample up to the last read.</summary>
    public double Mean => _count == 0 ? double.NaN : _hostSum / _count;

    /// <summary>Adds a batch's mean loss, weighted by its sample count, without leaving the device.</summary>
    public void Add(Tensor loss, int samples)
    {
        using var _ = no_grad();
        using var v = loss.detach().to(ScalarType.Float64).reshape(1);
        _sum.add_(v, alpha: samples);
        _pendingCount += samples;
        _pendingSteps++;
    }

    public bool Due => _pendingSteps >= _readEvery;

    /// <summary>Copies the device sum to the host (a sync) and fails on NaN/inf, naming the steps in which it happened.</summary>
    public double Read(int epoch, long step, double learningRate)
    {
        if (_pendingSteps == 0) return Mean;
        double value = _sum.item<double>();
        if (!double.IsFinite(value))
            throw new EdgeException($"the loss became {value} at epoch {epoch}, between steps {_lastReadStep} and {step}; lower --lr (now {learningRate:g3}) or raise --warmup-epochs");
        _hostSum += value;
        _count += _pendingCount;
        _pendingCount = 0;
        _sum.zero_();
        _pendingSteps = 0;
        _lastReadStep = step;
        return Mean;
    }

    public void Dispose() => _sum.Dispose();
}
