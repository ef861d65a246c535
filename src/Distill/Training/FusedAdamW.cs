using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Training;

/// <summary>
/// TorchSharp's AdamW with its update fused over flattened parameters (PyTorch's <c>foreach</c>/<c>fused</c> idea in
/// plain TorchSharp ops). TorchSharp's step costs about nine native calls per parameter tensor, and its zero_grad and
/// the trainer's global-norm clipping one or two more each: some 1,300 calls per step for the quickstart's 0.86 M
/// student, which at batch 8 cost as much as the forward and backward. Here every parameter is a view into one
/// contiguous buffer and its gradient a view into another (autograd accumulates into an existing gradient in place),
/// so zero_grad is one call, clipping sees one tensor (<see cref="parameters"/>), and the update is eight calls per
/// parameter group, with the same formulas in the same order as TorchSharp's AdamW.
/// <para>
/// The per-parameter optimizer state stays TorchSharp's (each moment a view into a flat moment buffer), so checkpoints
/// hold the same records as before, under this type's name. Every parameter is stepped every step: one that got no
/// gradient has a zero one here (TorchSharp skips it), so its weight decay and moment decay still apply; TinyViT and
/// the losses' projectors use every parameter in every step. Float32 parameters of one device only; the trainer keeps
/// TorchSharp's AdamW for mixed precision, whose master gradients are new tensors every step.
/// </para>
/// </summary>
public sealed class FusedAdamW : AdamW
{
    private readonly Tensor _values, _grads, _expAvg, _expAvgSq, _denom;
    private readonly Parameter _flat;
    private readonly List<Slice> _slices = [];
    private readonly List<Group> _groups = [];

    private sealed record Slice(Parameter Parameter, State State, long Offset, long[] Shape);

    /// <summary>A parameter group's contiguous range in the flat buffers.</summary>
    private sealed record Group(ParamGroup Source, Tensor Values, Tensor Grads, Tensor ExpAvg, Tensor ExpAvgSq, Tensor Denom);

    /// <summary>The trainer's optimizer: fused for float32 training, TorchSharp's AdamW under mixed precision.</summary>
    public static AdamW Create(IEnumerable<ParamGroup> groups, double lr, double weightDecay, bool mixedPrecision) =>
        mixedPrecision ? torch.optim.AdamW(groups, lr: lr, weight_decay: weightDecay) : new FusedAdamW(groups, lr, weightDecay);

    public FusedAdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, double weightDecay = 0, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
        : base(groups, lr, beta1, beta2, eps, weightDecay)
    {
        var all = _parameter_groups.SelectMany(g => g.Parameters).ToArray();
        if (all.Length == 0) throw new ArgumentException("FusedAdamW needs at least one parameter");
        var dtype = all[0].dtype;
        var device = all[0].device;
        if (all.Any(p => p.dtype != ScalarType.Float32 || p.device_type != device.type || p.device_index != device.index))
            throw new ArgumentException("FusedAdamW flattens float32 parameters of one device; use torch.optim.AdamW for others");
        if (all.Distinct().Count() != all.Length) throw new ArgumentException("a parameter is listed twice in FusedAdamW's groups");
        long total = all.Sum(p => p.numel());
        using (no_grad())
        {
            _values = zeros(total, dtype, device).DetachFromDisposeScope();
            _grads = zeros(total, dtype, device).DetachFromDisposeScope();
            _expAvg = zeros(total, dtype, device).DetachFromDisposeScope();
            _expAvgSq = zeros(total, dtype, device).DetachFromDisposeScope();
            _denom = zeros(total, dtype, device).DetachFromDisposeScope();
        }
        long offset = 0;
        foreach (var g in _parameter_groups)
        {
            long start = offset;
            foreach (var p in g.Parameters)
            {
                _slices.Add(new Slice(p, (State)_state[p.Handle], offset, p.shape));
                offset += p.numel();
            }
            long n = offset - start;
            _groups.Add(new Group((ParamGroup)g, _values.narrow(0, start, n), _grads.narrow(0, start, n), _expAvg.narrow(0, start, n),
                _expAvgSq.narrow(0, start, n), _denom.narrow(0, start, n)));
        }
        _flat = new Parameter(_values.alias(), requires_grad: true);
        Bind();
    }

    /// <summary>One parameter spanning all of them, whose gradient is every gradient: what clipping needs.</summary>
    public override IEnumerable<Parameter> parameters() => [_flat];

    public override void zero_grad()
    {
        using var _ = no_grad();
        _grads.zero_();
    }

    public override Tensor step(Func<Tensor>? closure = null)
    {
        Tensor? loss = null;
        if (closure is not null)
            using (enable_grad())
                loss = closure();
        // The count lives in TorchSharp's per-parameter states (a loaded checkpoint sets them there).
        long stepNo = _slices[0].State.step + 1;
        using (no_grad())
        using (NewDisposeScope())
        {
            foreach (var g in _groups)
            {
                var o = (Options)g.Source.Options;
                double lr = o.LearningRate!.Value, beta1 = o.beta1!.Value, beta2 = o.beta2!.Value, eps = o.eps!.Value, wd = o.weight_decay!.Value;
                double bc1 = 1 - Math.Pow(beta1, stepNo), bc2 = 1 - Math.Pow(beta2, stepNo);
                // TorchSharp's AdamW, element for element: decoupled decay, the two moments, then the bias-corrected step.
                // Each Scalar is a local disposed after the group: libtorch reads it while it is still referenced
                // (a temporary one can be finalized mid-call; see TrainingThreadGc).
                using Scalar decay = 1 - lr * wd, b1 = beta1, oneMinusB1 = 1 - beta1, b2 = beta2, oneMinusB2 = 1 - beta2,
                    sqrtBc2 = Math.Sqrt(bc2), epsilon = eps, stepSize = -lr / bc1;
                if (wd != 0) g.Values.mul_(decay);
                g.ExpAvg.mul_(b1).add_(g.Grads, alpha: oneMinusB1);
                g.ExpAvgSq.mul_(b2).addcmul_(g.Grads, g.Grads, value: oneMinusB2);
                g.Denom.copy_(g.ExpAvgSq).sqrt_().div_(sqrtBc2).add_(epsilon);
                g.Values.addcdiv_(g.ExpAvg, g.Denom, value: stepSize);
            }
        }
        foreach (var s in _slices) s.State.step = stepNo;
        return loss!;
    }

    /// <summary>
    /// The state a checkpoint saves or loads: first re-binds every parameter, gradient and moment to its slice, so
    /// the flat buffers are the truth again after anything that replaced a parameter's storage (a module load on a
    /// GPU goes through the CPU), and takes the step count back from the loaded states.
    /// </summary>
    public override StateDictionary state_dict()
    {
        Bind();
        return base.state_dict();
    }

    public override void load_state_dict(StateDictionary state_dict)
    {
        base.load_state_dict(state_dict);
        Bind();
    }

    /// <summary>Points each parameter, its gradient and its two moments at their slices, keeping their values.</summary>
    private void Bind()
    {
        using var _ = no_grad();
        foreach (var s in _slices)
        {
            long n = s.Shape.Aggregate(1L, (a, b) => a * b);
            var value = _values.narrow(0, s.Offset, n).view(s.Shape);
            value.copy_(s.Parameter);
            s.Parameter.set_(value);
            var grad = _grads.narrow(0, s.Offset, n).view(s.Shape);
            using (var old = s.Parameter.grad)
                if (old is not null && !ReferenceEquals(old, grad)) grad.copy_(old);
            s.Parameter.grad = grad;
            s.State.exp_avg = Adopt(_expAvg, s.State.exp_avg, s.Offset, n, s.Shape);
            s.State.exp_avg_sq = Adopt(_expAvgSq, s.State.exp_avg_sq, s.Offset, n, s.Shape);
        }
        _flat.grad = _grads;
    }

    private static Tensor Adopt(Tensor flat, Tensor current, long offset, long n, long[] shape)
    {
        var slot = flat.narrow(0, offset, n).view(shape).DetachFromDisposeScope();
        slot.copy_(current);
        if (!ReferenceEquals(slot, current)) current.Dispose();
        return slot;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _flat.Dispose();
        foreach (var t in new[] { _values, _grads, _expAvg, _expAvgSq, _denom }) t.Dispose();
    }
}
