namespace Edge.Distill.Training;

/// <summary>Per-step linear warm-up then cosine decay from the base rate to the minimum (timm's cosine scheduler).</summary>
public sealed record LearningRateSchedule(double BaseRate, double MinRate, long WarmupSteps, long TotalSteps)
{
    public double At(long step)
    {
        if (WarmupSteps > 0 && step < WarmupSteps)
            return BaseRate * (step + 1) / WarmupSteps;
        long decay = Math.Max(1, TotalSteps - WarmupSteps);
        double progress = Math.Clamp((double)(step - WarmupSteps) / decay, 0, 1);
        return MinRate + (BaseRate - MinRate) * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
