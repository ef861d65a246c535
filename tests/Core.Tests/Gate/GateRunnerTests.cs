using Edge.Core.Evaluation;
using Edge.Core.Gate;
using Edge.Core.IO;
using Edge.Core.Manifest;
using Edge.Testing;
using Xunit;

namespace Edge.Core.Tests.Gate;

/// <summary>Broken candidates built once from the real teacher, and logits shared by every test of the class.</summary>
public sealed class GateModelsFixture : IDisposable
{
    public GateModelsFixture()
    {
        TestPaths.RequireFashionMnist();
        Identical = BrokenCandidates.Identical(TestPaths.Teacher, Dir.Path);
        WrongNorm = BrokenCandidates.WrongNormalization(TestPaths.Teacher, Dir.Path);
        Shifted = BrokenCandidates.ShiftedLabelsInManifest(TestPaths.Teacher, Dir.Path);
    }

    public TempDir Dir { get; } = new();
    public LogitCache Cache { get; } = new();
    public string Identical { get; }
    public string WrongNorm { get; }
    public string Shifted { get; }

    /// <summary>Relative weight noise that costs the teacher at least 2 points of top-1 (checked by the test that uses it).</summary>
    public const double PerturbationNoise = 0.6;

    public GateOptions Options(params string[] candidates) => new()
    {
        Teacher = new ModelSource(TestPaths.Teacher),
        Candidates = candidates.Select(c => new ModelSource(c)).ToArray(),
        Samples = 500,
        SubsetSeed = 5,
        Evaluation = new EvaluatorOptions { BatchSize = 125, LatencySamples = 3, LatencyWarmup = 1, Cache = Cache },
    };

    public void Dispose() => Dir.Dispose();
}

/// <summary>The gate end to end on the real teacher and 500 Fashion-MNIST test images.</summary>
public class GateRunnerTests(GateModelsFixture models) : IClassFixture<GateModelsFixture>
{
    [Fact]
    public void OneModelAsLogitsProbabilitiesAndLogProbabilitiesGivesTheSameMetrics()
    {
        string probs = BrokenCandidates.WithOutputKind(TestPaths.Teacher, models.Dir.Path, OutputKind.Probabilities);
        string logProbs = BrokenCandidates.WithOutputKind(TestPaths.Teacher, models.Dir.Path, OutputKind.LogProbabilities);
        var report = GateRunner.Run(models.Options(models.Identical, probs, logProbs, models.WrongNorm), Progress.IProgressHost.None);
        var logits = report.Candidates[0];
        foreach (var other in report.Candidates.Skip(1).Take(2))
        {
            Assert.Equal(logits.Top1!.Estimate, other.Top1!.Estimate);
            Assert.Equal(100, other.Agreement.Estimate);
            Assert.Equal(logits.Ece, other.Ece, 4);            // ECE in percent, within 1e-4 points
            Assert.InRange(other.MeanKl, 0, 1e-4);
        }
        Assert.Equal(report.Teacher.Ece, logits.Ece, 6);
        // As the teacher, the probability form measures the same KL to a broken candidate as the logits form.
        var asTeacher = GateRunner.Run(models.Options(models.WrongNorm) with { Teacher = new ModelSource(probs) }, Progress.IProgressHost.None);
        Assert.Equal(report.Candidates[3].MeanKl, asTeacher.Candidates[0].MeanKl, 4);
        Assert.Equal(report.Teacher.Ece, asTeacher.Teacher.Ece, 4);
        Assert.InRange(report.Candidates[3].MeanKl, 0.01, 10); // and it is a real, non-zero divergence
    }

    [Fact]
    public void IdenticalCandidatePassesAndWritesEveryArtifact()
    {
        var report = GateRunner.Run(models.Options(models.Identical), Progress.IProgressHost.None);
        Assert.True(report.Passed, string.Join("; ", report.Failures().Select(f => f.Detail)));
        Assert.Equal(500, report.EvalSet.Count);
        Assert.Equal(10_000, report.EvalSet.BaseCount);
        Assert.InRange(report.Teacher.Top1!.Estimate, 92, 99);
        Assert.Equal(100, report.Candidates[0].Agreement.Estimate);
        Assert.Equal(report.Teacher.Sha256, report.Candidates[0].Sha256);

        using var output = new TempDir();
        var written = GateReportWriter.Write(report, output.Path);
        foreach (var name in new[] { "gate.json", "junit.xml", "report.md", "reliability.png", "per-class.png", "confusion-identical.png", "confusion-teacher.png" })
            Assert.Contains(output.File(name), written);
        Assert.True(new FileInfo(output.File("confusion-identical.png")).Length > 5000);
        var junit = System.Xml.Linq.XDocument.Load(output.File("junit.xml"));
        Assert.Equal(GateRuleRegistry.All.Count, junit.Descendants("testcase").Count());
        Assert.Empty(junit.Descendants("failure"));
        var reread = GateJson.Read(output.File("gate.json"));
        Assert.Equal(report.EvalSet.DatasetSha256, reread.EvalSet.DatasetSha256);
        Assert.Equal(report.Candidates[0].Samples.Correct, reread.Candidates[0].Samples.Correct);
        Assert.Contains("PASSED", File.ReadAllText(output.File("report.md")));
    }

    [Fact]
    public void WrongNormalizationConstantsFail()
    {
        var report = GateRunner.Run(models.Options(models.WrongNorm), Progress.IProgressHost.None);
        Assert.False(report.Passed);
        var failed = report.Failures().Select(f => f.Rule).ToArray();
        Assert.Contains("top1-drop-vs-teacher", failed);
        Assert.Contains("min-agreement", failed);
        Assert.Contains("top1-drop-vs-teacher", GateReportWriter.Markdown(report));
    }

    [Fact]
    public void LabelsShiftedByOneClassFail()
    {
        var report = GateRunner.Run(models.Options(models.Shifted), Progress.IProgressHost.None);
        Assert.False(report.Passed);
        Assert.Contains(report.Failures(), f => f.Rule == "top1-drop-vs-teacher" && f.Value > 50);
        Assert.True(report.Candidates[0].Agreement.Estimate < 10);
    }

    /// <summary>Noisy weights cost ≥ 2 points; gated against the identical candidate's gate.json as the baseline, the regression fails drop-vs-baseline.</summary>
    [Fact]
    public void PerturbedWeightsFailAgainstTheBaseline()
    {
        var baselineReport = GateRunner.Run(models.Options(models.Identical), Progress.IProgressHost.None);
        using var output = new TempDir();
        GateReportWriter.Write(baselineReport, output.Path);

        string perturbed = BrokenCandidates.Perturbed(TestPaths.Teacher, models.Dir.Path, GateModelsFixture.PerturbationNoise);
        var report = GateRunner.Run(models.Options(perturbed) with { Baseline = output.Path }, Progress.IProgressHost.None);
        var candidate = report.Candidates[0];
        Assert.True(candidate.VsTeacher!.Drop.Estimate >= 2, $"the perturbation cost only {candidate.VsTeacher.Drop.Estimate:0.00} points");
        Assert.False(report.Passed);
        var failure = Assert.Single(report.Failures(), f => f.Rule == "drop-vs-baseline");
        Assert.True(candidate.VsBaseline!.Paired);
        Assert.Contains("baseline identical", failure.Detail);
    }

    [Fact]
    public void BaselineFromAnotherEvaluationSetOrTeacherIsAnInputError()
    {
        var baselineReport = GateRunner.Run(models.Options(models.Identical), Progress.IProgressHost.None);
        using var output = new TempDir();
        string otherSet = output.File("other-set.json"), otherTeacher = output.File("other-teacher.json");
        AtomicFile.WriteAllText(otherSet, GateJson.Serialize(baselineReport with { EvalSet = baselineReport.EvalSet with { DatasetSha256 = new string('0', 64) } }));
        AtomicFile.WriteAllText(otherTeacher, GateJson.Serialize(baselineReport with { Teacher = baselineReport.Teacher with { Sha256 = new string('1', 64) } }));

        var e = Assert.Throws<EdgeException>(() => GateRunner.Run(models.Options(models.Identical) with { Baseline = otherSet }, Progress.IProgressHost.None));
        Assert.Contains("another evaluation set", e.Message);
        e = Assert.Throws<EdgeException>(() => GateRunner.Run(models.Options(models.Identical) with { Baseline = otherTeacher }, Progress.IProgressHost.None));
        Assert.Contains("another teacher", e.Message);
        e = Assert.Throws<EdgeException>(() => GateRunner.Run(models.Options(models.Identical) with { Baseline = output.File("missing.json") }, Progress.IProgressHost.None));
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void ModelsThatDoNotFitTheEvaluationSetAreInputErrors()
    {
        var manifest = BrokenCandidates.TeacherManifest(TestPaths.Teacher);
        string renamed = Path.Combine(models.Dir.Path, "renamed");
        ModelPackage.Write(renamed, TestPaths.Teacher, manifest with { Name = "renamed", ModelFile = "model.onnx", Labels = [.. manifest.Labels.Take(9), "Sock"] });
        var e = Assert.Throws<EdgeException>(() => GateRunner.Run(models.Options(renamed), Progress.IProgressHost.None));
        Assert.Contains("Sock", e.Message);
        Assert.Contains("Ankle boot", e.Message);

        string resized = Path.Combine(models.Dir.Path, "resized");
        ModelPackage.Write(resized, TestPaths.Teacher, manifest with
        {
            Name = "resized", ModelFile = "model.onnx",
            Input = manifest.Input with { Shape = [-1, 1, 28, 28] },
            Preprocess = manifest.Preprocess with { Height = 28, Width = 28 },
        });
        e = Assert.Throws<EdgeException>(() => GateRunner.Run(models.Options(resized), Progress.IProgressHost.None));
        Assert.Contains("preprocess.height is 28", e.Message);
        Assert.Contains("takes 32", e.Message);
    }

    [Fact]
    public void UnreachableServerIsAnInputError()
    {
        var options = models.Options() with { Candidates = [new ModelSource("grpc://127.0.0.1:9/student")], RemoteTimeout = TimeSpan.FromSeconds(3) };
        var e = Assert.Throws<EdgeException>(() => GateRunner.Run(options, Progress.IProgressHost.None));
        Assert.Contains("cannot reach", e.Message);
    }

    [Fact]
    public void UnlabeledSetComparesWithTheTeacherOnly()
    {
        var report = GateRunner.Run(models.Options(models.Identical) with { Unlabeled = true }, Progress.IProgressHost.None);
        Assert.True(report.Passed);
        Assert.False(report.EvalSet.Labeled);
        Assert.Null(report.Candidates[0].Top1);
        Assert.Equal(RuleStatus.Skip, report.Rules.Single(r => r.Rule == "top1-drop-vs-teacher").Status);
        using var output = new TempDir();
        var written = GateReportWriter.Write(report, output.Path);
        Assert.DoesNotContain(written, w => w.Contains("confusion"));
    }

    [Fact]
    public void UnlabeledFolderOfImagesIsComparedWithTheTeacher()
    {
        using var folder = new TempDir();
        using var test = Edge.Core.Data.DatasetFactory.Open("fashion-mnist", "test");
        for (int i = 0; i < 24; i++)
        {
            var image = test.GetImage(i);
            using var bitmap = new SkiaSharp.SKBitmap(new SkiaSharp.SKImageInfo(image.Width, image.Height, SkiaSharp.SKColorType.Gray8));
            System.Runtime.InteropServices.Marshal.Copy(image.Pixels, 0, bitmap.GetPixels(), image.Pixels.Length);
            using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(folder.File($"{i:000}.png"), data.ToArray());
        }
        var report = GateRunner.Run(models.Options(models.Shifted) with { Dataset = folder.Path, Unlabeled = true, Samples = null }, Progress.IProgressHost.None);
        Assert.Equal(24, report.EvalSet.Count);
        Assert.False(report.EvalSet.Labeled);
        Assert.False(report.Passed);
        Assert.Contains(report.Failures(), f => f.Rule == "min-agreement");
    }
}
