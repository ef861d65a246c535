using Edge.Core.Gate;
using Xunit;
using static Edge.Core.Tests.Gate.SyntheticModels;

namespace Edge.Core.Tests.Gate;

/// <summary>The statistics and rule semantics on synthetic predictions: fast, exact, no models.</summary>
public class GateAnalysisTests
{
    private static readonly int[] Truth = Labels(10_000, seed: 1);
    private static readonly int[] TeacherPredictions = Corrupt(Truth, 0.05, seed: 2);       // ~95% top-1
    private static readonly int[] StudentPredictions = Corrupt(TeacherPredictions, 0.02, seed: 3); // ~1-2 pts below

    [Fact]
    public void IdenticalCandidatePassesEveryRule()
    {
        var teacher = Model("teacher", TeacherPredictions);
        var report = GateAnalysis.Analyze(Inputs(Truth, teacher, [Model("same", TeacherPredictions, sha: "teacher")]), new GateThresholds(), GateRuleRegistry.All);
        Assert.True(report.Passed);
        var c = report.Candidates[0];
        Assert.Equal(100, c.Agreement.Estimate);
        Assert.Equal(0, c.VsTeacher!.Drop.Estimate);
        Assert.Equal(0, c.MeanKl, 12);
        Assert.Equal(RuleStatus.Skip, report.Rules.Single(r => r.Rule == "drop-vs-baseline").Status);
        Assert.Equal(RuleStatus.Skip, report.Rules.Single(r => r.Rule == "max-latency-ms").Status);
    }

    /// <summary>
    /// No flapping: a baseline gate.json made on all 10,000 images, then the same candidate gated on 20 different
    /// random subsets of 1,000: every run passes (paired against the baseline, the drop is exactly zero; against
    /// the teacher, sampling noise stays inside the significance margin).
    /// </summary>
    [Fact]
    public void CandidateIdenticalToTheBaselinePassesOnTwentyRandomSubsets()
    {
        var thresholds = new GateThresholds { MaxTop1Drop = 2.5 };
        var full = GateAnalysis.Analyze(Inputs(Truth, Model("teacher", TeacherPredictions), [Model("student", StudentPredictions)]), thresholds, GateRuleRegistry.All);
        Assert.True(full.Passed);
        var baseline = Baseline(full);
        double fullDrop = full.Candidates[0].VsTeacher!.Drop.Estimate;
        Assert.InRange(fullDrop, 0.5, 2.5);
        double maxDrop = 0;
        for (int run = 0; run < 20; run++)
        {
            var subset = Enumerable.Range(0, Truth.Length).ToArray();
            new Random(100 + run).Shuffle(subset);
            subset = subset[..1000];
            var report = GateAnalysis.Analyze(Inputs(Truth, Model("teacher", TeacherPredictions, subset), [Model("student", StudentPredictions, subset)], subset, baseline),
                thresholds, GateRuleRegistry.All, seed: run);
            Assert.True(report.Passed, string.Join("; ", report.Failures().Select(f => f.Detail)));
            var vsBaseline = report.Candidates[0].VsBaseline!;
            Assert.True(vsBaseline.Paired);
            Assert.Equal(0, vsBaseline.Drop.Estimate);
            maxDrop = Math.Max(maxDrop, report.Candidates[0].VsTeacher!.Drop.Estimate);
        }
        // The subsets do vary: some measured drops are above the tolerance a naive rule would fail on.
        Assert.True(maxDrop > fullDrop);
    }

    [Fact]
    public void TwoPointDropVsBaselineFailsAndNamesTheRule()
    {
        var baselineReport = GateAnalysis.Analyze(Inputs(Truth, Model("teacher", TeacherPredictions), [Model("student", StudentPredictions)]), new GateThresholds(), GateRuleRegistry.All);
        // Break 2.2% of the student's correct answers.
        var worse = StudentPredictions.Select((p, i) => p == Truth[i] && new Random(i).NextDouble() < 0.023 ? (p + 1) % Classes : p).ToArray();
        var subset = Enumerable.Range(0, 2000).ToArray();
        var report = GateAnalysis.Analyze(Inputs(Truth, Model("teacher", TeacherPredictions, subset), [Model("student", worse, subset)], subset, Baseline(baselineReport)),
            new GateThresholds(), GateRuleRegistry.All);
        Assert.False(report.Passed);
        var failure = Assert.Single(report.Failures(), f => f.Rule == "drop-vs-baseline");
        Assert.InRange(failure.Value, 1.5, 3);
        Assert.Contains("baseline student", failure.Detail);
        Assert.Contains("drop-vs-baseline", GateReportWriter.Markdown(report));
        Assert.Contains("<failure", GateReportWriter.JUnit(report));
    }

    /// <summary>Above the tolerance but within noise passes; significantly above it, or above the hard limit, fails.</summary>
    [Fact]
    public void ToleranceIsTestedAtTheConfidenceAndTheHardLimitIsAbsolute()
    {
        var thresholds = new GateThresholds { MaxTop1Drop = 1.0, MaxTop1DropHard = 4.0, MinAgreement = 50 };
        var small = Enumerable.Range(0, 300).ToArray();
        // ~1.7 pt drop on 300 images: above the tolerance, not significantly.
        var slightly = TeacherPredictions.Select((p, i) => p == Truth[i] && i % 60 == 7 ? (p + 1) % Classes : p).ToArray();
        var noisy = GateAnalysis.Analyze(Inputs(Truth, Model("t", TeacherPredictions, small), [Model("c", slightly, small)], small), thresholds, GateRuleRegistry.All);
        var rule = noisy.Rules.Single(r => r.Rule == "top1-drop-vs-teacher");
        Assert.True(rule.Value > 1.0, $"drop {rule.Value}");
        Assert.Equal(RuleStatus.Pass, rule.Status);
        Assert.Contains("not significantly", rule.Detail);

        // The same rate of damage on 10,000 images is significant.
        var all = GateAnalysis.Analyze(Inputs(Truth, Model("t", TeacherPredictions), [Model("c", slightly)]), thresholds, GateRuleRegistry.All);
        Assert.Equal(RuleStatus.Fail, all.Rules.Single(r => r.Rule == "top1-drop-vs-teacher").Status);

        // A big drop on few images fails through the hard limit.
        var broken = TeacherPredictions.Select((p, i) => i % 10 == 0 ? (p + 1) % Classes : p).ToArray();
        var tiny = Enumerable.Range(0, 40).ToArray();
        var hard = GateAnalysis.Analyze(Inputs(Truth, Model("t", TeacherPredictions, tiny), [Model("c", broken, tiny)], tiny), thresholds, GateRuleRegistry.All);
        var hardRule = hard.Rules.Single(r => r.Rule == "top1-drop-vs-teacher");
        Assert.Equal(RuleStatus.Fail, hardRule.Status);
        Assert.Contains("hard limit", hardRule.Detail);
    }

    [Fact]
    public void UnpairedBaselineWhenItDidNotCoverTheseImages()
    {
        var first = Enumerable.Range(0, 5000).ToArray();
        var second = Enumerable.Range(5000, 5000).ToArray();
        var baseReport = GateAnalysis.Analyze(Inputs(Truth, Model("t", TeacherPredictions, first), [Model("s", StudentPredictions, first)], first), new GateThresholds(), GateRuleRegistry.All);
        var report = GateAnalysis.Analyze(Inputs(Truth, Model("t", TeacherPredictions, second), [Model("s", StudentPredictions, second)], second, Baseline(baseReport)), new GateThresholds(), GateRuleRegistry.All);
        var vs = report.Candidates[0].VsBaseline!;
        Assert.False(vs.Paired);
        Assert.Null(vs.McNemar);
        Assert.True(report.Passed);
    }

    [Fact]
    public void UnlabeledSetsCompareWithTheTeacherOnly()
    {
        var inputs = Inputs(Truth, Model("t", TeacherPredictions), [Model("s", StudentPredictions)]) with { Labels = null };
        var report = GateAnalysis.Analyze(inputs, new GateThresholds(), GateRuleRegistry.All);
        Assert.Null(report.Candidates[0].Top1);
        Assert.Null(report.Candidates[0].Confusion);
        Assert.Equal(RuleStatus.Skip, report.Rules.Single(r => r.Rule == "top1-drop-vs-teacher").Status);
        Assert.Equal(RuleStatus.Pass, report.Rules.Single(r => r.Rule == "min-agreement").Status);
    }

    /// <summary>The shadow-mode entry point: logits only, no labels, no images on disk.</summary>
    [Fact]
    public void LogitsFromLiveTrafficAreGatedAgainstTheReference()
    {
        var subset = Enumerable.Range(0, 400).ToArray();
        var teacher = Model("primary", TeacherPredictions, subset).Predictions.Logits;
        var shadow = Model("shadow", Corrupt(TeacherPredictions, 0.3, seed: 9), subset).Predictions.Logits;
        var classes = Enumerable.Range(0, Classes).Select(c => $"c{c}").ToArray();
        var inputs = GateInputs.FromLogits("live traffic", classes, 400, "primary", teacher, [("shadow", shadow)], Edge.Core.Preprocessing.PreprocessSpec.FashionMnist32);
        var report = GateAnalysis.Analyze(inputs, new GateThresholds(), GateRuleRegistry.All);
        Assert.False(report.Passed);
        Assert.Equal("min-agreement", Assert.Single(report.Failures()).Rule);
        Assert.InRange(report.Candidates[0].Agreement.Estimate, 60, 80);
    }

    [Fact]
    public void LatencyRuleUsesTheMedian()
    {
        var report = GateAnalysis.Analyze(Inputs(Truth, Model("t", TeacherPredictions), [Model("s", StudentPredictions)]),
            new GateThresholds { MaxLatencyMs = 0.5 }, GateRuleRegistry.All);
        var rule = report.Rules.Single(r => r.Rule == "max-latency-ms");
        Assert.Equal(RuleStatus.Fail, rule.Status);
        Assert.Equal(1, rule.Value);
    }

    [Fact]
    public void RegistryListsKnownRulesOnAnUnknownName()
    {
        var e = Assert.Throws<EdgeException>(() => GateRuleRegistry.Get("min-accuracy"));
        Assert.Contains("top1-drop-vs-teacher", e.Message);
        Assert.Contains("max-latency-ms", e.Message);
    }

    [Fact]
    public void ThresholdsAreValidated()
    {
        Assert.Throws<EdgeException>(() => new GateThresholds { Confidence = 1.2 }.Validate());
        Assert.Throws<EdgeException>(() => new GateThresholds { MaxTop1Drop = 2, MaxTop1DropHard = 1 }.Validate());
        Assert.Equal(6, new GateThresholds().Top1DropHardLimit);
        Assert.Equal(80, new GateThresholds().AgreementHardFloor);
    }
}
