using Edge.Core;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Training;

/// <summary>The number format the student is computed in during training.</summary>
public enum TrainingPrecision
{
    Fp32,
    /// <summary>bfloat16 compute, float32 master weights, float32 loss. Same exponent range as fp32: no loss scaling.</summary>
    Bf16,
    /// <summary>float16 compute, float32 master weights, float32 loss, dynamic loss scaling.</summary>
    Fp16,
}

/// <summary>Names accepted by <c>--precision</c>.</summary>
public static class TrainingPrecisions
{
    private static readonly Dictionary<string, TrainingPrecision> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["fp32"] = TrainingPrecision.Fp32, ["float32"] = TrainingPrecision.Fp32,
        ["bf16"] = TrainingPrecision.Bf16, ["bfloat16"] = TrainingPrecision.Bf16,
        ["fp16"] = TrainingPrecision.Fp16, ["float16"] = TrainingPrecision.Fp16, ["half"] = TrainingPrecision.Fp16,
    };

    private static readonly Dictionary<TrainingPrecision, ScalarType> Compute = new()
    {
        [TrainingPrecision.Fp32] = ScalarType.Float32,
        [TrainingPrecision.Bf16] = ScalarType.BFloat16,
        [TrainingPrecision.Fp16] = ScalarType.Float16,
    };

    public static TrainingPrecision Parse(string name) =>
        ByName.TryGetValue(name.Trim(), out var p) ? p : throw new EdgeException($"unknown precision '{name}': use fp32, bf16 or fp16");

    public static ScalarType ComputeType(TrainingPrecision p) => Compute[p];

    public static string Name(TrainingPrecision p) => p.ToString().ToLowerInvariant();
}

/// <summary>
/// Mixed precision without autocast (TorchSharp has none): the student runs in bf16/fp16 (but for the float32 islands
/// of <see cref="KeepsFloat32"/>), while AdamW updates
/// float32 master copies of its weights — a bf16 weight cannot absorb an update smaller than 1/256 of itself, so
/// without masters small learning rates stall. Each step: forward in low precision (inputs cast by a pre-hook),
/// logits and features cast to float32 (so softmax/log-softmax and the loss run in fp32), backward, gradients
/// copied up to the masters (unscaled for fp16), clipped and stepped there, and the masters copied back down.
/// For <see cref="TrainingPrecision.Fp32"/> it is a pass-through with the same step (backward, clip, step).
/// </summary>
public sealed class MixedPrecision : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Dictionary<string, Parameter> _masters = [];
    private readonly List<(Parameter Model, Parameter Master)> _pairs = [];
    private readonly Parameter[] _extra;
    private readonly List<Parameter> _direct = [];
    private readonly List<Action> _unhook = [];
    private readonly ScalarType _compute;

    public TrainingPrecision Precision { get; }
    public LossScaler? Scaler { get; }
    public bool IsMixed => Precision != TrainingPrecision.Fp32;

    /// <param name="extraParameters">Float32 parameters outside the model that the optimizer also updates (a loss's projector): unscaled for fp16.</param>
    public MixedPrecision(TrainingPrecision precision, nn.Module<Tensor, Tensor> model, IEnumerable<Parameter> extraParameters, LossScalerOptions? scaler = null)
    {
        Precision = precision;
        _model = model;
        _compute = TrainingPrecisions.ComputeType(precision);
        _extra = [.. extraParameters];
        if (!IsMixed) return;
        Scaler = precision == TrainingPrecision.Fp16 ? new LossScaler(scaler) : null;
        foreach (var (name, p) in model.named_parameters())
            _masters[name] = new Parameter(p.detach().to(ScalarType.Float32).clone(), p.requires_grad);
        model.to(_compute);
        // Float32 islands inside the low-precision model: float32 in, float32 weights, output cast back down.
        foreach (var (_, m) in model.named_modules())
        {
            if (!KeepsFloat32(m, _compute) || m is not nn.Module<Tensor, Tensor> island) continue;
            island.to(ScalarType.Float32);
            var islandIn = island.register_forward_pre_hook((_, x) => x.dtype == ScalarType.Float32 ? x : x.to(ScalarType.Float32));
            var islandOut = island.register_forward_hook((_, _, y) => y.to(_compute));
            _unhook.Add(islandIn.remove);
            _unhook.Add(islandOut.remove);
        }
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.dtype == ScalarType.Float32)
            {
                // A float32 island's: the optimizer updates it directly, no master needed. It went through the
                // low-precision type on the way (model.to above), so take the exact value back from the master.
                using (no_grad()) p.copy_(_masters[name]);
                _masters[name].Dispose();
                _masters.Remove(name);
                _direct.Add(p);
            }
            else _pairs.Add((p, _masters[name]));
        }
        var pre = model.register_forward_pre_hook((_, x) => x.dtype == _compute ? x : x.to(_compute));
        var post = model.register_forward_hook((_, _, y) => y.dtype == ScalarType.Float32 ? y : y.to(ScalarType.Float32));
        _unhook.Add(pre.remove);
        _unhook.Add(post.remove);
    }

    /// <summary>
    /// Modules computed in float32 when the student computes in <paramref name="compute"/> (bf16 or fp16):
    /// <list type="bullet">
    /// <item>Normalisation, as autocast keeps it: batch statistics and running means in bf16 lose the small
    /// differences they are made of (measured, while the conv bug below was still unknown: bf16 everywhere trailed
    /// fp32 by 5-12 points early on, norms in float32 by a few points less).</item>
    /// <item>Depthwise convolutions with a stride (TinyViT's patch merging): libtorch 2.10's CPU kernel returns a
    /// wrong input gradient for them in bf16 (measured: relative error ~0.95 against fp32, cosine ~0.2, for 3x3
    /// stride 2 on 7x7-9x9 maps; forward and weight gradient are fine, and so are stride-1 depthwise and strided
    /// dense or 2-group convs, and fp16's). Every parameter below the last patch merging then trained on noise and
    /// bf16 trailed fp32 by 13 points after 128 steps (MixedPrecisionTests.Bf16GradientsAndLossesTrackFp32). Not
    /// checked on CUDA; there too it is one cheap conv per stage.</item>
    /// </list>
    /// </summary>
    internal static bool KeepsFloat32(nn.Module module, ScalarType compute) => module switch
    {
        BatchNorm1d or BatchNorm2d or LayerNorm => true,
        Conv2d c => compute == ScalarType.BFloat16 && c.groups > 1 && c.groups == c.in_channels && c.stride.Any(s => s > 1),
        _ => false,
    };

    /// <summary>The parameter the optimizer should update in place of the model's <paramref name="name"/>.</summary>
    public Parameter OptimizerParameter(string name, Parameter modelParameter) =>
        IsMixed && _masters.TryGetValue(name, out var master) ? master : modelParameter;

    /// <summary>Feature maps captured by hooks, in float32 for the loss.</summary>
    public IReadOnlyDictionary<string, Tensor> Float(IReadOnlyDictionary<string, Tensor>? features) =>
        features is null ? new Dictionary<string, Tensor>()
        : !IsMixed ? features
        : features.ToDictionary(kv => kv.Key, kv => kv.Value.dtype == ScalarType.Float32 ? kv.Value : kv.Value.to(ScalarType.Float32));

    /// <summary>
    /// Backward, gradient clipping and the optimizer step. Returns false when fp16 overflowed and the step was skipped.
    /// Gradient clipping is computed on the device (no host sync); fp16 reads one flag per step to decide on skipping.
    /// </summary>
    public bool Step(Tensor loss, OptimizerHelper optimizer, double clipNorm)
    {
        double scale = Scaler?.Scale ?? 1.0;
        (scale == 1.0 ? loss : loss * scale).backward();
        if (IsMixed)
        {
            using var _ = no_grad();
            double inv = 1.0 / scale;
            foreach (var (p, master) in _pairs)
            {
                if (p.grad is not { } g) continue;
                var up = g.to(ScalarType.Float32);
                if (inv != 1.0) up.mul_(inv);
                master.grad = up;
            }
            foreach (var (p, _) in _pairs) p.grad?.zero_();
            if (inv != 1.0)
                foreach (var e in _extra.Concat(_direct))
                    e.grad?.mul_(inv);
        }
        var trained = IsMixed ? _pairs.Select(p => p.Master).Concat(_extra).Concat(_direct).ToArray() : optimizer.parameters().ToArray();
        if (Scaler is not null)
        {
            bool finite = GradientsFinite(trained);
            if (!Scaler.Update(finite))
            {
                optimizer.zero_grad();
                return false;
            }
        }
        if (clipNorm > 0) ClipGradNorm(trained, clipNorm);
        optimizer.step();
        if (IsMixed) CopyMastersDown();
        return true;
    }

    /// <summary>
    /// The float32 masters of the low-precision parameters, in a fixed order: a checkpoint stores them, because the
    /// bf16/fp16 model weights are only their rounding and a resume from those would not continue exactly.
    /// </summary>
    public IEnumerable<Tensor> MasterTensors => _pairs.Select(pair => (Tensor)pair.Master);

    /// <summary>After a checkpoint (with its masters) was loaded: the model's weights become the masters' rounding
    /// again, exactly as after an optimizer step.</summary>
    public void SyncModelFromMasters()
    {
        if (!IsMixed) return;
        using var _ = no_grad();
        foreach (var (p, master) in _pairs) p.copy_(master);
    }

    /// <summary>Returns the model to float32 with the exact master weights, for evaluation, saving and export.</summary>
    public void RestoreFloat32()
    {
        if (!IsMixed) return;
        Unhook();
        _model.to(ScalarType.Float32);
        using var _ = no_grad();
        foreach (var (name, p) in _model.named_parameters())
            if (_masters.TryGetValue(name, out var master)) p.copy_(master);
    }

    /// <summary>
    /// PyTorch's clip_grad_norm_ (total L2 norm, coefficient clamped to 1, applied always), kept on the device:
    /// TorchSharp's returns the norm as a double, which would wait for the GPU every step.
    /// </summary>
    public static void ClipGradNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToArray();
        if (grads.Length == 0) return;
        var total = stack(grads.Select(g => g.detach().to(ScalarType.Float32).norm()).ToArray()).norm();
        var coef = (maxNorm / (total + 1e-6)).clamp_max(1.0);
        foreach (var g in grads) g.mul_(coef.to(g.dtype));
    }

    private static bool GradientsFinite(IReadOnlyList<Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var sums = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!.to(ScalarType.Float32).sum()).ToArray();
        if (sums.Length == 0) return true;
        // An inf or NaN anywhere makes the sum non-finite: one host read instead of one per tensor.
        return double.IsFinite(stack(sums).sum().item<float>());
    }

    private void CopyMastersDown()
    {
        using var _ = no_grad();
        foreach (var (p, master) in _pairs) p.copy_(master);
    }

    private void Unhook()
    {
        foreach (var u in _unhook) u();
        _unhook.Clear();
    }

    public void Dispose()
    {
        Unhook();
        foreach (var m in _masters.Values) m.Dispose();
        _masters.Clear();
        _pairs.Clear();
    }
}
