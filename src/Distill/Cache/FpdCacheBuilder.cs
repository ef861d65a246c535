using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Preprocessing;
using Edge.Core.Progress;
using Edge.Distill.Augment;
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
        var spec = o.Preprocess;
        using var teacher = DistillTrainer.OpenTeacher(new DistillOptions { OutputDir = o.OutputDir, Teachers = o.Teachers, Threads = o.Threads }, []);
        teacher.CheckInput(spec, $"the preprocessing for {o.Dataset} ({spec})");
        using var trainSet = DatasetFactory.Open(o.Dataset, "train");
        if (teacher.NumClasses != trainSet.ClassNames.Count)
            throw new EdgeException($"teacher {teacher.Description} predicts {teacher.NumClasses} classes but {trainSet.Description} has {trainSet.ClassNames.Count}; use a teacher trained on this dataset");
        if (teacher.NumClasses > short.MaxValue) throw new EdgeException($"teacher {teacher.Description} has {teacher.NumClasses} classes; the cache stores class ids as int16");

        var samples = DistillTrainer.Subset(trainSet.Count, o.TrainSamples, o.Seed).Order().ToArray();
        int k = Math.Min(o.TopK, teacher.NumClasses);
        var header = new FpdCacheHeader
        {
            Teacher = string.Join("+", o.Teachers.Select(Path.GetFileName)),
            TeacherSha256 = FpdCacheHeader.HashFiles(o.Teachers),
            Dataset = trainSet.Description,
            Preprocess = spec.ToString(),
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
        var split = InMemorySplit.Load(trainSet, new Preprocessor(spec), mine);
        var pipeline = AugmentRegistry.Build(o.Augment, ImageLayout.From(spec));

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
            var file = RunEpoch(header, epoch, o.ShardIndex, split, pipeline, teacher, o.BatchSize, progress, cancel);
            file.Write(path);
            written++;
            records += file.Records;
        }
        return new FpdCacheReport(Path.GetFullPath(o.OutputDir), header, o.ShardIndex, written, skipped, records, clock.Elapsed.TotalSeconds);
    }

    private static FpdShardFile RunEpoch(FpdCacheHeader header, int epoch, int shard, InMemorySplit split, AugmentPipeline pipeline,
        ITeacher teacher, int batchSize, IProgressHost progress, CancellationToken cancel)
    {
        int n = split.Count, len = split.SampleLength, k = header.TopK, c = header.Classes;
        var seeds = new int[n];
        var ids = new short[n * k];
        var probs = new Half[n * k];
        var input = new float[Math.Min(batchSize, Math.Max(1, n)) * len];
        using var bar = progress.Begin($"teacher cache epoch {epoch}/{header.Epochs}", n, "img");
        for (int s = 0; s < n; s += batchSize)
        {
            cancel.ThrowIfCancellationRequested();
            int b = Math.Min(batchSize, n - s);
            for (int i = 0; i < b; i++)
            {
                seeds[s + i] = SeededRng.SampleSeed(header.Seed, epoch, split.SourceIndices[s + i]);
                pipeline.ApplySample(split.Sample(s + i), input.AsSpan(i * len, len), seeds[s + i]);
            }
            var logits = teacher.Run(input, b).Logits;
            for (int i = 0; i < b; i++)
                TopK(logits.AsSpan(i * c, c), k, ids.AsSpan((s + i) * k, k), probs.AsSpan((s + i) * k, k));
            bar.Report(s + b, n);
        }
        return new FpdShardFile { Header = header, Epoch = epoch, Shard = shard, Indices = split.SourceIndices, Seeds = seeds, Ids = ids, Probs = probs };
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
