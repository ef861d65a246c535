using Edge.Core.Import;
using Edge.Core.Manifest;
using Xunit;

namespace Edge.Core.Tests.Import;

public class OutputKindProbeTests
{
    [Fact]
    public void RowsThatSumToOneAreProbabilitiesLogsOfThemAreLogProbabilitiesTheRestLogits()
    {
        float[] probs = [0.7f, 0.2f, 0.1f, 0.25f, 0.25f, 0.5f];
        Assert.Equal(OutputKind.Probabilities, OutputKindProbe.Classify(probs, 2, 3, out _));
        Assert.Equal(OutputKind.LogProbabilities, OutputKindProbe.Classify([.. probs.Select(p => MathF.Log(p))], 2, 3, out _));
        Assert.Equal(OutputKind.Logits, OutputKindProbe.Classify([2.0f, -1f, 0.5f, 3f, 0f, 0f], 2, 3, out _));
        // Non-negative but not normalised (a ReLU head) is logits; one bad row is enough.
        Assert.Equal(OutputKind.Logits, OutputKindProbe.Classify([0.7f, 0.2f, 0.1f, 0.5f, 0.5f, 0.5f], 2, 3, out var why));
        Assert.Contains("neither", why);
    }
}
