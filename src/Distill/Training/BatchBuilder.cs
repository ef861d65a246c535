using Edge.Core;
using Edge.Core.Imaging;
using Edge.Core.Preprocessing;
using Edge.Distill.Augment;
using Edge.Distill.Cache;
using Edge.Distill.Data;
using Edge.Distill.Teachers;

namespace Edge.Distill.Training;

/// <summary>
/// One training batch: the student's view of the augmented samples [Count, C, H, W], labels (in the teacher's class
/// order), the batch's <see cref="ViewBatch"/> (each teacher takes its own view of the same augmented samples), and
/// the teacher targets for the rows listed in <see cref="TeacherRows"/> in logits form [rows, Classes]. A mixed batch
/// also carries its mixed one-hot labels.
/// </summary>
internal sealed record Batch(float[] Inputs, long[] Labels, int Count, int[] TeacherRows, float[] TeacherLogits, ViewBatch Views)
{
    public int Classes { get; init; }
    /// <summary>[Count, Classes] label distributions when Mixup/CutMix mixed the batch; null otherwise.</summary>
    public float[]? SoftLabels { get; init; }
}

/// <summary>
/// Builds training batches for <see cref="DistillTrainer"/>: each sample is decoded (or read from memory) and
/// augmented once on its canvas from its own seed, then the student's view is made by the one
/// <see cref="Preprocessor"/> (and, for an online teacher, each teacher's view of the same canvases). Targets come
/// from one of three sources: none (label losses, or an online teacher run by the trainer), the per-run logit cache of
/// plain/mirrored images, or a TinyViT fast-pretraining cache (<see cref="FpdCache"/>), whose stored seed drives the
/// augmentation so the image is the one the teacher saw and the teacher never runs. Then Mixup/CutMix, when configured,
/// mix every view, the labels and the teacher probabilities with the same λ. Pure given (rows, epoch), whatever the
/// worker count, so batches can be built ahead on workers.
/// </summary>
internal sealed class BatchBuilder
{
    /// <summary>Cached probabilities become logits as log p; float16 underflows to 0, floored here so log stays finite.</summary>
    private const float ProbabilityFloor = 1e-8f;

    private readonly SampleStore _train;
    private readonly PreprocessSpec _student;
    private readonly IReadOnlyList<PreprocessSpec> _eagerViews;
    private readonly int[] _toTeacherClass;
    private readonly int _seed, _classes, _workers;
    private readonly TeacherLogitCache? _cache;
    private readonly bool[] _hasTeacher;
    private readonly bool _flipViews;
    private readonly FpdCache? _fpd;

    /// <param name="toTeacherClass">Dataset class index → teacher class index (classes matched by label).</param>
    /// <param name="eagerViews">Teacher views to make on the worker too (an online teacher's).</param>
    public BatchBuilder(DistillOptions o, SampleStore train, PreprocessSpec student, IReadOnlyList<PreprocessSpec> eagerViews, int[] toTeacherClass,
        int classes, TeacherLogitCache? cache, int[] teacherRows, FpdCache? fpd, int workers)
    {
        _train = train; _student = student; _eagerViews = eagerViews; _toTeacherClass = toTeacherClass; _seed = o.Seed; _classes = classes;
        _cache = cache; _flipViews = o.TeacherFlipViews; _fpd = fpd; _workers = workers;
        _hasTeacher = new bool[train.Count];
        foreach (var r in teacherRows) _hasTeacher[r] = true;
        Pipeline = AugmentRegistry.Build(Config(o, fpd));
        IsPlainFlipTranslate = fpd is null && o.Augment is null;
    }

    public AugmentPipeline Pipeline { get; }

    /// <summary>True when batches are the default flip + translation over the per-run logit cache: the case the
    /// device-resident data path (<see cref="DeviceResidentData"/>) reproduces bit for bit.</summary>
    public bool IsPlainFlipTranslate { get; }

    /// <summary>The per-run logit cache (null without one) and which training rows it covers.</summary>
    public TeacherLogitCache? Cache => _cache;
    public bool[] HasTeacher => _hasTeacher;

    /// <summary>Opens <see cref="DistillOptions.TeacherCache"/> and checks that it was made by this run's teacher
    /// (every member's hash, preprocessing and output kind), on this dataset, and covers every training image. The
    /// student may have any preprocessing: the cache replays augmentation seeds on the images, not tensors.</summary>
    public static FpdCache OpenCache(DistillOptions o, ITeacher teacher, string dataset, SampleStore train)
    {
        var cache = FpdCache.Open(o.TeacherCache!);
        var h = cache.Header;
        if (h.TeacherSha256 != teacher.Fingerprint())
            throw new EdgeException($"teacher cache {cache.Folder} was made by teacher {h.Teacher}, not by --teacher {teacher.Description}; use the cache's teacher (agreement is measured against it)");
        if (h.Classes != teacher.NumClasses)
            throw new EdgeException($"teacher cache {cache.Folder} stores {h.Classes} classes but the teacher predicts {teacher.NumClasses}");
        if (h.Dataset != dataset)
            throw new EdgeException($"teacher cache {cache.Folder} was made on {h.Dataset}, not on {dataset}");
        for (int e = 1; e <= cache.Epochs; e++)
            for (int i = 0; i < train.Count; i++)
                if (!cache.Contains(e, train.SourceIndex(i)))
                    throw new EdgeException($"teacher cache {cache.Folder} has no record for training image #{train.SourceIndex(i)} (it covers {h.Samples} images); make it with the same --train-samples and --seed as this run ({o.TrainSamples?.ToString() ?? "all"}, seed {o.Seed}), or for the whole dataset");
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

    public Batch Build(int[] rows, int epoch)
    {
        int n = rows.Length, c = _classes;
        var canvases = new Canvas[n];
        var labels = new long[n];
        var seeds = new int[n];
        var flips = new bool[n];
        int cacheEpoch = _fpd?.CacheEpoch(epoch) ?? 0;
        for (int i = 0; i < n; i++)
        {
            int source = _train.SourceIndex(rows[i]);
            seeds[i] = _fpd is null ? SeededRng.SampleSeed(_seed, epoch, source) : _fpd.Seed(cacheEpoch, source);
            labels[i] = _toTeacherClass[_train.Label(rows[i])];
        }
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = _workers }, i =>
        {
            var canvas = _train.Canvas(rows[i]);
            flips[i] = Pipeline.ApplySample(canvas, seeds[i]);
            canvases[i] = canvas;
        });

        // Teacher targets before mixing: probabilities (teacher cache) or logits (per-run cache).
        int[] targetRows = [];
        float[] targets = [];
        bool areProbabilities = false;
        if (_fpd is not null)
        {
            targetRows = [.. Enumerable.Range(0, n)];
            targets = new float[n * c];
            for (int i = 0; i < n; i++) _fpd.Dense(cacheEpoch, _train.SourceIndex(rows[i]), targets.AsSpan(i * c, c));
            areProbabilities = true;
        }
        else if (_cache is not null)
        {
            targetRows = [.. Enumerable.Range(0, n).Where(i => _hasTeacher[rows[i]])];
            targets = new float[targetRows.Length * c];
            for (int r = 0; r < targetRows.Length; r++)
            {
                int i = targetRows[r];
                // One view: the teacher's targets for the plain image stand in for its mirror (a flip-trained teacher
                // is close to flip-invariant). Two views: the mirrored image has its own targets.
                int view = _flipViews && flips[i] ? 1 : 0;
                _cache.Get(rows[i], view).CopyTo(targets.AsSpan(r * c, c));
            }
        }

        float[]? soft = null;
        MixPlan? plan = null;
        if (Pipeline.Mixer is { } mixer && n >= 2)
        {
            plan = mixer.Plan(seeds, _student.Height, _student.Width);
            soft = new float[n * c];
            for (int i = 0; i < n; i++) soft[i * c + labels[i]] = 1;
            BatchMixer.MixRows(soft, n, c, plan.Lambda);
            (targetRows, targets) = MixTargets(targetRows, targets, areProbabilities, n, c, plan.Lambda);
            areProbabilities = true;
        }
        if (areProbabilities)
            foreach (ref float v in targets.AsSpan()) v = MathF.Log(Math.Max(v, ProbabilityFloor));
        var views = new ViewBatch(canvases, plan, _workers);
        var inputs = views.View(_student);
        foreach (var spec in _eagerViews) views.View(spec);
        return new Batch(inputs, labels, n, targetRows, targets, views) { Classes = c, SoftLabels = soft };
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
