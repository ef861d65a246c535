using Edge.Core;
using Edge.Distill.Augment;
using Edge.Distill.Cache;

namespace Edge.Distill.Training;

/// <summary>
/// One training batch: augmented inputs [Count, C, H, W], labels, and the teacher targets for the rows listed in
/// <see cref="TeacherRows"/> as logits [rows, Classes]. A mixed batch also carries its mixed one-hot labels.
/// </summary>
internal sealed record Batch(float[] Inputs, long[] Labels, int Count, int[] TeacherRows, float[] TeacherLogits)
{
    public int Classes { get; init; }
    /// <summary>[Count, Classes] label distributions when Mixup/CutMix mixed the batch; null otherwise.</summary>
    public float[]? SoftLabels { get; init; }
}

/// <summary>
/// Builds training batches for <see cref="DistillTrainer"/> from one of three target sources: none (label losses,
/// or an online teacher run by the trainer), the per-run logit cache of plain/flipped images, or a TinyViT
/// fast-pretraining cache (<see cref="FpdCache"/>), whose stored seed drives the augmentation so the image is the
/// one the teacher saw and the teacher never runs. Then Mixup/CutMix, when configured, mix inputs, labels and
/// teacher probabilities with the same λ. Pure given (indices, epoch), so batches can be built ahead on a worker.
/// </summary>
internal sealed class BatchBuilder
{
    /// <summary>Cached probabilities become logits as log p; float16 underflows to 0, floored here so log stays finite.</summary>
    private const float ProbabilityFloor = 1e-8f;

    private readonly InMemorySplit _train;
    private readonly int _seed, _classes;
    private readonly TeacherLogitCache? _cache;
    private readonly bool[] _hasTeacher;
    private readonly bool _flipViews;
    private readonly FpdCache? _fpd;

    public BatchBuilder(DistillOptions o, InMemorySplit train, int classes, TeacherLogitCache? cache, int[] teacherRows, FpdCache? fpd)
    {
        _train = train; _seed = o.Seed; _classes = classes; _cache = cache; _flipViews = o.TeacherFlipViews; _fpd = fpd;
        _hasTeacher = new bool[train.Count];
        foreach (var r in teacherRows) _hasTeacher[r] = true;
        Pipeline = AugmentRegistry.Build(Config(o, fpd), ImageLayout.From(o.Preprocess));
        IsPlainFlipTranslate = fpd is null && o.Augment is null;
    }

    public AugmentPipeline Pipeline { get; }

    /// <summary>True when batches are the default flip + translation over the per-run logit cache: the case the
    /// device-resident data path (<see cref="Edge.Distill.Data.DeviceResidentData"/>) reproduces bit for bit.</summary>
    public bool IsPlainFlipTranslate { get; }

    /// <summary>The per-run logit cache (null without one) and which training rows it covers.</summary>
    public TeacherLogitCache? Cache => _cache;
    public bool[] HasTeacher => _hasTeacher;

    /// <summary>Opens <see cref="DistillOptions.TeacherCache"/> and checks that it was made by this run's teacher,
    /// on this dataset and preprocessing, and covers every training image.</summary>
    public static FpdCache OpenCache(DistillOptions o, int classes, string dataset, InMemorySplit train)
    {
        var cache = FpdCache.Open(o.TeacherCache!);
        var h = cache.Header;
        string sha = FpdCacheHeader.HashFiles(o.Teachers);
        if (h.TeacherSha256 != sha)
            throw new EdgeException($"teacher cache {cache.Folder} was made by teacher {h.Teacher}, not by --teacher {string.Join(" + ", o.Teachers.Select(Path.GetFileName))}; use the cache's teacher (agreement is measured against it)");
        if (h.Classes != classes)
            throw new EdgeException($"teacher cache {cache.Folder} stores {h.Classes} classes but the teacher predicts {classes}");
        if (h.Preprocess != o.Preprocess.ToString())
            throw new EdgeException($"teacher cache {cache.Folder} was made with preprocessing '{h.Preprocess}', not '{o.Preprocess}'");
        if (h.Dataset != dataset)
            throw new EdgeException($"teacher cache {cache.Folder} was made on {h.Dataset}, not on {dataset}");
        for (int e = 1; e <= cache.Epochs; e++)
            foreach (int idx in train.SourceIndices)
                if (!cache.Contains(e, idx))
                    throw new EdgeException($"teacher cache {cache.Folder} has no record for training image #{idx} (it covers {h.Samples} images); make it with the same --train-samples and --seed as this run ({o.TrainSamples?.ToString() ?? "all"}, seed {o.Seed}), or for the whole dataset");
        return cache;
    }

    /// <summary>The run's augmentation: its own, or — from a teacher cache — the cache's per-sample part (which the
    /// stored seeds replay) followed by the run's batch-level terms.</summary>
    public static AugmentConfig Config(DistillOptions o, FpdCache? fpd)
    {
        var own = o.Augment ?? AugmentConfig.FromFlipShift(o.Flip, o.MaxShift);
        if (fpd is null) return own;
        var recorded = AugmentConfig.Parse(fpd.Header.Augment);
        if (o.Augment is not null && o.Augment.SampleTerms.Terms.Count > 0 && !o.Augment.SampleTerms.SameAs(recorded))
            throw new EdgeException($"--augment '{o.Augment}' differs from the augmentation recorded in teacher cache {fpd.Folder} ('{recorded}'); training replays the recorded one, so give only batch-level terms (mixup, cutmix) or the same per-sample terms");
        return new AugmentConfig([.. recorded.Terms, .. own.Terms.Where(t => AugmentRegistry.IsBatchLevel(t.Name))]);
    }

    public Batch Build(int[] indices, int epoch)
    {
        int n = indices.Length, len = _train.SampleLength, c = _classes;
        var inputs = new float[n * len];
        var labels = new long[n];
        var seeds = new int[n];
        var flips = new bool[n];
        int cacheEpoch = _fpd?.CacheEpoch(epoch) ?? 0;
        for (int i = 0; i < n; i++)
        {
            int idx = indices[i];
            seeds[i] = _fpd is null ? SeededRng.SampleSeed(_seed, epoch, idx) : _fpd.Seed(cacheEpoch, _train.SourceIndices[idx]);
            flips[i] = Pipeline.ApplySample(_train.Sample(idx), inputs.AsSpan(i * len, len), seeds[i]);
            labels[i] = _train.Labels[idx];
        }

        // Teacher targets before mixing: probabilities (teacher cache) or logits (per-run cache).
        int[] rows = [];
        float[] targets = [];
        bool areProbabilities = false;
        if (_fpd is not null)
        {
            rows = [.. Enumerable.Range(0, n)];
            targets = new float[n * c];
            for (int i = 0; i < n; i++) _fpd.Dense(cacheEpoch, _train.SourceIndices[indices[i]], targets.AsSpan(i * c, c));
            areProbabilities = true;
        }
        else if (_cache is not null)
        {
            rows = [.. Enumerable.Range(0, n).Where(i => _hasTeacher[indices[i]])];
            targets = new float[rows.Length * c];
            for (int r = 0; r < rows.Length; r++)
            {
                int i = rows[r];
                // One view: the teacher's targets for the plain image stand in for its flip (a flip-trained teacher
                // is close to flip-invariant). Two views: the flipped image has its own targets.
                int view = _flipViews && flips[i] ? 1 : 0;
                _cache.Get(indices[i], view).CopyTo(targets.AsSpan(r * c, c));
            }
        }

        float[]? soft = null;
        if (Pipeline.Mixer is { } mixer && n >= 2)
        {
            var plan = mixer.Plan(seeds, Pipeline.Layout.Height, Pipeline.Layout.Width);
            BatchMixer.MixInputs(inputs, n, Pipeline.Layout, plan);
            soft = new float[n * c];
            for (int i = 0; i < n; i++) soft[i * c + labels[i]] = 1;
            BatchMixer.MixRows(soft, n, c, plan.Lambda);
            (rows, targets) = MixTargets(rows, targets, areProbabilities, n, c, plan.Lambda);
            areProbabilities = true;
        }
        if (areProbabilities)
            foreach (ref float v in targets.AsSpan()) v = MathF.Log(Math.Max(v, ProbabilityFloor));
        return new Batch(inputs, labels, n, rows, targets) { Classes = c, SoftLabels = soft };
    }

    /// <summary>Mixes teacher probabilities like the labels; with a partial per-run cache only rows whose partner
    /// also has targets keep them.</summary>
    private static (int[] Rows, float[] Probs) MixTargets(int[] rows, float[] targets, bool areProbabilities, int n, int c, double lambda)
    {
        if (rows.Length == 0) return (rows, targets);
        var full = new float[n * c];
        var has = new bool[n];
        for (int r = 0; r < rows.Length; r++)
        {
            has[rows[r]] = true;
            var dst = full.AsSpan(rows[r] * c, c);
            if (areProbabilities) targets.AsSpan(r * c, c).CopyTo(dst);
            else { var p = FpdCacheBuilder.Softmax(targets.AsSpan(r * c, c)); for (int j = 0; j < c; j++) dst[j] = (float)p[j]; }
        }
        BatchMixer.MixRows(full, n, c, lambda);
        int[] kept = [.. Enumerable.Range(0, n).Where(i => has[i] && has[n - 1 - i])];
        var probs = new float[kept.Length * c];
        for (int r = 0; r < kept.Length; r++) full.AsSpan(kept[r] * c, c).CopyTo(probs.AsSpan(r * c, c));
        return (kept, probs);
    }
}
