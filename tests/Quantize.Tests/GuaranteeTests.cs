using Edge.Core;
using Edge.Quantize.Guarantee;
using Edge.Quantize.Speed;
using Xunit;

namespace Edge.Quantize.Tests;

/// <summary>The INT8 guarantee's decisions and the interleaved speed comparison (fake timers: decisions, not timings).</summary>
public sealed class GuaranteeTests
{
    private static GuaranteeResult Result(double fp32, double int8, params double[] speedups) =>
        new(fp32, int8, 2000, [1, 64], speedups, MaxTop1DropPoints: 0.3, MinSpeedup: 1.0);

    [Fact]
    public void A_package_within_budget_and_faster_everywhere_is_written_without_a_note()
    {
        var r = Result(0.9000, 0.8980, 1.2, 1.6); // -0.2 points
        Assert.True(r.AccuracyMet && r.SpeedMet);
        Assert.Null(QuantizationGuarantee.Refusal(r, new GuaranteeOptions(), "hint"));
        Assert.Null(QuantizationGuarantee.OverrideNote(r));
    }

    [Fact]
    public void Slower_at_one_batch_size_is_refused_naming_it_and_the_override()
    {
        var r = Result(0.9, 0.9, 0.97, 1.6);
        Assert.Equal([1], r.SlowerAt);
        string? refusal = QuantizationGuarantee.Refusal(r, new GuaranteeOptions(), "Try --mode auto");
        Assert.NotNull(refusal);
        Assert.Contains("slower than fp32 at batch 1", refusal);
        Assert.Contains("0.97x", refusal);
        Assert.Contains("--allow-slower", refusal);
        Assert.DoesNotContain("--allow-accuracy-drop", refusal);
        Assert.Contains("Try --mode auto", refusal);
    }

    [Fact]
    public void Over_the_accuracy_budget_is_refused_and_an_override_writes_it_with_a_plain_warning()
    {
        var r = Result(0.9000, 0.8960, 1.1, 1.1); // -0.4 points
        Assert.False(r.AccuracyMet);
        Assert.Contains("over the 0.3-point budget", QuantizationGuarantee.Refusal(r, new GuaranteeOptions(), "hint"));
        Assert.Null(QuantizationGuarantee.Refusal(r, new GuaranteeOptions { AllowAccuracyDrop = true }, "hint"));
        Assert.Contains("MISSED", QuantizationGuarantee.OverrideNote(r));
        // The slower override does not cover an accuracy miss.
        Assert.NotNull(QuantizationGuarantee.Refusal(r, new GuaranteeOptions { AllowSlower = true }, "hint"));
    }

    [Fact]
    public void Bad_guarantee_options_name_the_flag()
    {
        Assert.Contains("--batch-sizes", Assert.Throws<EdgeException>(() => new GuaranteeOptions { BatchSizes = [1, 0] }.Validate()).Message);
        Assert.Contains("--batch-sizes", Assert.Throws<EdgeException>(() => new GuaranteeOptions { BatchSizes = [64, 64] }.Validate()).Message);
        Assert.Contains("--accuracy-budget", Assert.Throws<EdgeException>(() => new GuaranteeOptions { MaxTop1DropPoints = -1 }.Validate()).Message);
    }

    /// <summary>Returns scripted times: reference and candidate alternate, and a spike hits one round.</summary>
    private sealed class ScriptedProbe(Func<string, int, double[]> times) : ISpeedProbe
    {
        private readonly Dictionary<string, int> _calls = [];

        public IReadOnlyList<int> BatchSizes { get; } = [1, 64];

        public List<string> Order { get; } = [];

        public double[] Measure(string modelPath)
        {
            int call = _calls.GetValueOrDefault(modelPath);
            _calls[modelPath] = call + 1;
            Order.Add(modelPath);
            return times(modelPath, call);
        }

        public void Dispose() { }
    }

    [Fact]
    public void Speedups_are_medians_of_interleaved_rounds_so_one_load_spike_does_not_decide()
    {
        // fp32 takes 2 ms / 100 ms, int8 1 ms / 50 ms, except int8's third run, hit by load (10 ms / 500 ms).
        using var probe = new ScriptedProbe((path, call) => path == "fp32" ? [2, 100] : call == 2 ? [10, 500] : [1, 50]);
        var s = SpeedComparison.Speedups(probe, "fp32", "int8", rounds: 5);
        Assert.Equal([2.0, 2.0], s);
        Assert.Equal(["fp32", "int8", "int8", "fp32", "fp32", "int8"], probe.Order.Take(6)); // who goes first alternates
        Assert.Equal(0.5, SpeedComparison.CostRatio(s), 9);
    }
}
