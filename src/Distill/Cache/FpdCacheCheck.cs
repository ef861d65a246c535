using Edge.Core;
using Edge.Core.Data;
using Edge.Distill.Data;
using Edge.Distill.Augment;
using Edge.Distill.Teachers;

namespace Edge.Distill.Cache;

/// <summary>The outcome of replaying cache records through the teacher.</summary>
public sealed record FpdCheckResult(int Samples, double MaxAbsError, int Top1Mismatches, double Tolerance)
{
    public bool Passed => MaxAbsError <= Tolerance && Top1Mismatches == 0;
}

/// <summary>
/// <c>--check-cache N</c>: picks N stored records (seeded), rebuilds each augmented image from its seed exactly as
/// training will, runs the teacher on it again and compares with the stored top-k probabilities. A mismatch beyond
/// float16 rounding means the replay (or the file) is not what the teacher saw.
/// </summary>
public static class FpdCacheCheck
{
    /// <summary>float16 keeps 11 significant bits: probabilities near 1 round by up to 2.4e-4; 2e-3 leaves room for
    /// the teacher's batch-size-dependent float noise while catching any real replay difference.</summary>
    public const double DefaultTolerance = 2e-3;

    /// <summary>Checks <paramref name="cache"/> against the teacher and dataset named in <paramref name="o"/>.</summary>
    public static FpdCheckResult Run(FpdCacheOptions o, FpdCache cache, int samples, double tolerance = DefaultTolerance)
    {
        using var teacher = Training.DistillTrainer.OpenTeacher(new Training.DistillOptions { OutputDir = o.OutputDir, Teachers = o.Teachers, Threads = o.Threads }, []);
        using var trainSet = o.Dataset.Open("train");
        return Run(cache, teacher, trainSet, samples, o.Seed, tolerance);
    }

    public static FpdCheckResult Run(FpdCache cache, ITeacher teacher, IImageDataset trainSet, int samples,
        int seed = 0, double tolerance = DefaultTolerance)
    {
        if (samples < 1) throw new EdgeException($"--check-cache must be at least 1, got {samples}");
        if (teacher.Fingerprint() != cache.Header.TeacherSha256)
            throw new EdgeException($"teacher cache {cache.Folder} was made by {cache.Header.Teacher}, not by {teacher.Description}; check it with its own teacher");
        if (cache.Header.Dataset != trainSet.Description)
            throw new EdgeException($"teacher cache {cache.Folder} was made on {cache.Header.Dataset}, not {trainSet.Description}");
        if (teacher.NumClasses != cache.Classes)
            throw new EdgeException($"teacher {teacher.Description} predicts {teacher.NumClasses} classes but teacher cache {cache.Folder} stores {cache.Classes}");
        var pipeline = AugmentRegistry.Build(AugmentConfig.Parse(cache.Header.Augment));
        var candidates = cache.PresentEpochs.SelectMany(e => cache.Indices(e).ToArray().Select(i => (Epoch: e, Index: i))).ToArray();
        new Random(seed).Shuffle(candidates);
        var picked = candidates.Take(samples).ToArray();
        // The picked images only, decoded on demand.
        var store = SampleStore.Open(trainSet, [.. picked.Select(p => p.Index)], DataMemory.Stream, 0, Environment.ProcessorCount, Edge.Core.Progress.IProgressHost.None, "");
        int c = cache.Classes, k = cache.TopK;
        double maxError = 0;
        int mismatches = 0;
        const int chunk = 64;
        for (int s = 0; s < picked.Length; s += chunk)
        {
            int b = Math.Min(chunk, picked.Length - s);
            var rows = Enumerable.Range(s, b).ToArray();
            var views = FpdCacheBuilder.Augmented(store, rows, [.. rows.Select(r => cache.Seed(picked[r].Epoch, picked[r].Index))], pipeline, Environment.ProcessorCount);
            var logits = teacher.Run(views).Logits;
            for (int i = 0; i < b; i++)
            {
                var p = FpdCacheBuilder.Softmax(logits.AsSpan(i * c, c));
                var (ids, probs) = cache.Record(picked[s + i].Epoch, picked[s + i].Index);
                for (int j = 0; j < k; j++)
                    maxError = Math.Max(maxError, Math.Abs(p[ids.Span[j]] - (double)probs.Span[j]));
                int top1 = Array.IndexOf(p, p.Max());
                if (top1 != ids.Span[0] && Math.Abs(p[top1] - p[ids.Span[0]]) > tolerance) mismatches++;
            }
        }
        return new FpdCheckResult(picked.Length, maxError, mismatches, tolerance);
    }
}
