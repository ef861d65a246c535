using Edge.Core;

namespace Edge.Distill.Losses;

internal static class LossChecks
{
    public static DistillOutputs Teacher(DistillOutputs? teacher, string loss) =>
        teacher ?? throw new EdgeException($"loss '{loss}' needs teacher outputs but none were given");
}
