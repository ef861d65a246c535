using Edge.Core;
using Edge.Distill.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Training;

/// <summary>
/// An exponential moving average of the student's weights (timm's ModelEmaV3), kept in a second model so it can be
/// evaluated as is: after every optimizer step each float parameter and buffer (BatchNorm statistics included)
/// becomes <c>ema = d·ema + (1 − d)·w</c>; integer buffers are copied. With warm-up the decay at step t is
/// <c>min(d, (1 + t) / (10 + t))</c>, so a short run is not dominated by the random initial weights.
/// The averaged tensors go into the checkpoint (see <see cref="Tensors"/>), so <c>--resume</c> continues exactly.
/// </summary>
public sealed class EmaWeights : IDisposable
{
    private readonly (Tensor Ema, Tensor Live)[] _pairs;

    /// <param name="source">Maps a model parameter to the tensor to average (mixed precision: its float32 master, so the
    /// average is not of bf16-rounded weights); the parameter itself when null.</param>
    public EmaWeights(StudentModel model, double decay, bool warmup = true, Func<string, Parameter, Parameter>? source = null)
    {
        if (!(decay > 0 && decay < 1)) throw new EdgeException($"--ema must be in (0, 1), e.g. 0.9998; got {decay}");
        Decay = decay;
        Warmup = warmup;
        Model = StudentRegistry.Create(model.RegistryName, model.Config);
        var device = model.parameters().First().device;
        Model.to(device);
        Model.eval();
        foreach (var p in Model.parameters()) p.requires_grad = false;
        var live = State(model, source);
        var ema = State(Model);
        if (!live.Keys.Order().SequenceEqual(ema.Keys.Order()))
            throw new InvalidOperationException($"EMA copy of {model.RegistryName} has other state names than the model");
        _pairs = [.. live.Keys.Order(StringComparer.Ordinal).Select(k => (ema[k], live[k]))];
        using (no_grad())
            foreach (var (e, w) in _pairs) e.copy_(w);
    }

    public double Decay { get; }
    public bool Warmup { get; }

    /// <summary>The averaged model (eval mode, no gradients): evaluate it, or copy it into the student with <see cref="CopyTo"/>.</summary>
    public StudentModel Model { get; }

    /// <summary>Every averaged tensor in a fixed order, for the checkpoint.</summary>
    public IEnumerable<Tensor> Tensors => _pairs.Select(p => p.Ema);

    /// <summary>The decay used at optimizer step <paramref name="step"/> (0-based count of steps before this one).</summary>
    public double DecayAt(long step) => Warmup ? Math.Min(Decay, (1.0 + step) / (10.0 + step)) : Decay;

    /// <summary>Call after <c>optimizer.step()</c>; <paramref name="step"/> is the 0-based index of that step.</summary>
    public void Update(long step)
    {
        double d = DecayAt(step);
        using var _ = no_grad();
        foreach (var (e, w) in _pairs)
        {
            if (e.is_floating_point()) e.mul_(d).add_(w, alpha: 1 - d);
            else e.copy_(w);
        }
    }

    /// <summary>Writes the averaged weights into <paramref name="model"/> (the final student of an EMA run).</summary>
    public void CopyTo(StudentModel model)
    {
        var target = State(model);
        using var _ = no_grad();
        foreach (var (name, t) in State(Model)) target[name].copy_(t);
    }

    public void Dispose() => Model.Dispose();

    private static Dictionary<string, Tensor> State(nn.Module m, Func<string, Parameter, Parameter>? source = null)
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in m.named_parameters()) state[name] = source?.Invoke(name, p) ?? p;
        foreach (var (name, b) in m.named_buffers()) state[name] = b;
        return state;
    }
}
