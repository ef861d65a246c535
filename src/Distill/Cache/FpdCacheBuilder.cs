using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Evaluation;
using Edge.Core.Imaging;
using Edge.Core.Progress;
using Edge.Distill.Augment;
using Edge.Distill.Data;
using Edge.Distill.Teachers;
using Edge.Distill.Training;

namespace Edge.Distill.Cache;

/// <summary>What one <see cref="FpdCacheBuilder.Generate"/> did.</summary>
public sealed record FpdCacheReport(string Folder, FpdCacheHeader Header, int Shard, int Written, int Skipped, long Records, double TeacherSeconds);

/// <summary>
/// TinyViT's fast pretraining distillation, cache side: per epoch, every covered training image is augmented from
/// its own seed, the teacher runs once on it, and the seed plus the top-k softmax probabilities are stored. Files
/// already present with the same header are kept, so a killed generation resumes where it stopped.
/// </summary>
public static class FpdCacheBuilder
{
    public static FpdCacheReport Generate(FpdCacheOptions o, IProgressHost progress, CancellationToken cancel = default)
    {
        o.Validate();
        int workers = o.Workers > 0 ? o.Workers : Environment.ProcessorCount;
        using var teacher = DistillTrainer.OpenTeacher(new DistillOptions { OutputDir = o.OutputDir, Teachers = o.Teachers, Threads = o.Threads }, []);
        using var trainSet = o.Dataset.Open("train");
        // Checks the classes match by label (the records store the teacher's class ids).
        ClassMapping.Build(teacher.Labels, teacher.NumClasses, trainSet.ClassNames, $"teacher {teacher.Description}", trainSet.Description);
        if (teacher.NumClasses > short.MaxValue) throw new EdgeException($"teacher {teacher.Description} has {teacher.NumClasses} classes; the cache stores class ids as int16");

        var samples = DistillTrainer.Subset(trainSet.Count, o.TrainSamples, o.Seed).Order().ToArray();
        int k = Math.Min(o.TopK, teacher.NumClasses);
        var header = new FpdCacheHeader
        {
            Teacher = teacher.Description,
            TeacherSha256 = teacher.Fingerprint(),
            Dataset = trainSet.Description,
            Preprocess = string.Join(" + ", teacher.Specs()),
            Augment = o.Augment.ToString(),
            Seed = o.Seed,
            Epochs = o.Epochs,
            TopK = k,
            Classes = teacher.NumClasses,
            Samples = samples.Length,
            SamplesSha256 = FpdCacheHeader.HashIndices(samples),
            Shards = o.ShardCount,
        };
        var (start, end) = FpdCacheHeader.ShardRange(samples.Length, o.ShardIndex, o.ShardCount);
        var mine = samples[start..end];
        var split = SampleStore.Open(trainSet, mine, DataMemory.Auto, o.MemoryBudgetMb << 20, workers, progress, "decode train", cancel);
        var pipeline = AugmentRegistry.Build(o.Augment);

        int written = 0, skipped = 0;
        long records = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            string path = Path.Combine(o.OutputDir, FpdShardFile.FileName(epoch, o.ShardIndex, o.ShardCount));
            if (File.Exists(path))
            {
                var existing = FpdShardFile.Read(path);
                var diff = header.Differences(existing.Header).ToList();
                if (diff.Count > 0)
                    throw new EdgeException($"{path} was made with other settings ({string.Join("; ", diff)}); use another --out or delete it");
                skipped++;
                continue;
            }
            var file = RunEpoch(header, epoch, o.ShardIndex, split, pipeline, teacher, o.BatchSize, workers, progress, cancel);
            file.Write(path);
            written++;
            records += file.Records;
        }
        return new FpdCacheReport(Path.GetFullPath(o.OutputDir), header, o.ShardIndex, written, skipped, records, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The batch of augmented canvases a record set replays: each image decoded and augmented from its seed.</summary>
    internal static ViewBatch Augmented(SampleStore split, IReadOnlyList<int> rows, IReadOnlyList<int> seeds, AugmentPipeline pipeline, int workers)
    {
        var canvases = new Canvas[rows.Count];
        Parallel.For(0, rows.Count, new ParallelOptions { MaxDegreeOfParallelism = workers }, i =>
        {
            var canvas = split.Canvas(rows[i]);
            pipeline.ApplySample(canvas, seeds[i]);
            canvases[i] = canvas;
        });
        return new ViewBatch(canvases, null, workers);
    }

    private static FpdShardFile RunEpoch(FpdCacheHeader header, int epoch, int shard, SampleStore split, AugmentPipeline pipeline,
        ITeacher teacher, int batchSize, int workers, IProgressHost progress, CancellationToken cancel)
    {
        int n = split.Count, k = header.TopK, c = header.Classes;
        var seeds = new int[n];
        var indices = new int[n];
        for (int i = 0; i < n; i++)
        {
            indices[i] = split.SourceIndex(i);
            seeds[i] = SeededRng.SampleSeed(header.Seed, epoch, indices[i]);
        }
        var ids = new short[n * k];
        var probs = new Half[n * k];
        var chunks = Enumerable.Range(0, (n + batchSize - 1) / batchSize).Select(b => Enumerable.Range(b * batchSize, Math.Min(batchSize, n - b * batchSize)).ToArray());
        using var bar = progress.Begin($"teacher cache epoch {epoch}/{header.Epochs}", n, "img");
        foreach (var (rows, views) in BatchQueue.InOrder(chunks, rows => (rows, Augmented(split, rows, [.. rows.Select(r => seeds[r])], pipeline, workers)), 2, cancel))
        {
            var logits = teacher.Run(views).Logits;
            for (int i = 0; i < rows.Length; i++)
                TopK(logits.AsSpan(i * c, c), k, ids.AsSpan(rows[i] * k, k), probs.AsSpan(rows[i] * k, k));
            bar.Report(rows[^1] + 1, n);
        }
        return new FpdShardFile { Header = header, Epoch = epoch, Shard = shard, Indices = indices, Seeds = seeds, Ids = ids, Probs = probs };
    }

    /// <summary>Softmax (in double) and the k most probable classes, ties to the lower id.</summary>
    public static void TopK(ReadOnlySpan<float> logits, int k, Span<short> ids, Span<Half> probs)
    {
        var p = Softmax(logits);
        var order = Enumerable.Range(0, p.Length).OrderByDescending(i => p[i]).ThenBy(i => i).Take(k).ToArray();
        for (int j = 0; j < k; j++) { ids[j] = (short)order[j]; probs[j] = (Half)p[order[j]]; }
    }

    public static double[] Softmax(ReadOnlySpan<float> logits)
    {
        double max = double.NegativeInfinity;
        foreach (float v in logits) max = Math.Max(max, v);
        var p = new double[logits.Length];
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += p[i] = Math.Exp(logits[i] - max);
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
        return p;
    }
}
