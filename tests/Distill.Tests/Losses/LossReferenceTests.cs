using Edge.Distill.Losses;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Edge.Distill.Tests.Losses;

/// <summary>
/// Every registered loss against the reference values of <see cref="LossReference"/> (PyTorch 1.13, float64, from
/// the published definitions): value and, for logit losses, the gradient with respect to the student's logits, within
/// 1e-5 (relative to the value when it is larger than 1). Edge computes in float32, as in training.
/// </summary>
public class LossReferenceTests
{
    private const double Tolerance = 1e-5;

    public static TheoryData<string> Cases => [.. LossReference.Instance.CaseNames];

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheReference(string name)
    {
        using var scope = NewDisposeScope();
        var c = LossReference.Instance.Get(name);
        var logits = c.StudentLogits.requires_grad_(c.StudentGrad is not null);
        var student = new DistillOutputs(logits) { Features = c.Features("s") };
        var teacher = c.TeacherLogits is { } t ? new DistillOutputs(t) { Features = c.Features("t") } : null;
        var loss = LossRegistry.Create(c.Loss, c.Options);
        if (c.Weight("projector") is { } projector) SetProjector(loss, student, teacher, c.Labels, projector);

        var value = loss.Compute(student, teacher, c.Labels);
        double actual = value.item<float>();
        Assert.True(Math.Abs(actual - c.Expected) <= Tolerance * Math.Max(1, Math.Abs(c.Expected)),
            $"{name}: Edge {actual:R}, reference {c.Expected:R} (difference {actual - c.Expected:E2})");

        if (c.StudentGrad is { } expectedGrad)
        {
            value.backward();
            var grad = logits.grad!.data<float>().ToArray();
            Assert.Equal(expectedGrad.Length, grad.Length);
            double worst = grad.Zip(expectedGrad, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= Tolerance, $"{name}: gradient differs from the reference by up to {worst:E2}");
        }
    }

    [Fact]
    public void EveryRegisteredLossHasAReferenceCase()
    {
        var covered = LossReference.Instance.CaseNames.Select(n => LossReference.Instance.Get(n).Loss).ToHashSet();
        var missing = LossRegistry.Names.Where(n => !covered.Contains(n)).ToArray();
        Assert.True(missing.Length == 0, $"losses without a reference case in {LossReference.RelativePath}: {string.Join(", ", missing)}");
    }

    /// <summary>FitNet builds its projector on the first call; the case fixes its weights to the reference's.</summary>
    private static void SetProjector(IDistillLoss loss, DistillOutputs student, DistillOutputs? teacher, Tensor labels, Tensor weight)
    {
        using (no_grad()) loss.Compute(student, teacher, labels);
        var parameter = Assert.Single(loss.Parameters);
        using (no_grad()) parameter.copy_(weight.reshape(parameter.shape));
    }
}
