using Edge.Core;

namespace Edge.Distill.Training;

/// <summary>Dynamic loss scaling settings (PyTorch GradScaler's defaults).</summary>
public sealed record LossScalerOptions
{
    public double InitialScale { get; init; } = 65536;
    /// <summary>Scale multiplied by this after <see cref="GrowthInterval"/> steps in a row without overflow.</summary>
    public double GrowthFactor { get; init; } = 2;
    /// <summary>Scale multiplied by this (and the step skipped) when a gradient is inf or NaN.</summary>
    public double BackoffFactor { get; init; } = 0.5;
    public int GrowthInterval { get; init; } = 2000;
    /// <summary>Below this the loss itself is not finite, not the fp16 range: stop with an error instead of halving forever.</summary>
    public double MinScale { get; init; } = 1.0 / (1 << 24);
}

/// <summary>
/// fp16 has a 5-bit exponent, so small gradients underflow to zero: the loss is multiplied by a large scale before
/// backward and the gradients divided by it afterwards. When a scaled gradient overflows, the step is skipped and the
/// scale halved; after a run of good steps it doubles again, so it hovers just below the overflow point.
/// </summary>
public sealed class LossScaler(LossScalerOptions? options = null)
{
    private readonly LossScalerOptions _o = options ?? new LossScalerOptions();
    private int _goodSteps;

    public double Scale { get; private set; } = (options ?? new LossScalerOptions()).InitialScale;
    public long SkippedSteps { get; private set; }

    /// <summary>Records one step's outcome; returns whether the optimizer step should be applied.</summary>
    public bool Update(bool gradientsFinite)
    {
        if (!gradientsFinite)
        {
            SkippedSteps++;
            _goodSteps = 0;
            Scale *= _o.BackoffFactor;
            if (Scale < _o.MinScale)
                throw new EdgeException($"fp16 loss scale fell below {_o.MinScale:g3} after {SkippedSteps} skipped steps: the loss or the gradients are not finite even unscaled; lower --lr or use --precision bf16/fp32");
            return false;
        }
        if (++_goodSteps >= _o.GrowthInterval)
        {
            Scale *= _o.GrowthFactor;
            _goodSteps = 0;
        }
        return true;
    }
}
