using System.Diagnostics;
using Edge.Core;
using Edge.Core.Metrics;
using Edge.Core.Data;
using Edge.Core.IO;
using Edge.Core.Preprocessing;
using Edge.Core.Progress;
using Edge.Distill.Augment;
using Edge.Distill.Cache;
using Edge.Distill.Data;
using Edge.Distill.Device;
using Edge.Distill.Losses;
using Edge.Distill.Models;
using Edge.Distill.Teachers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Training;

/// <summary>
/// Distils a student from an ONNX teacher. The recipe is the reference pipeline's (AdamW with decoupled weight
/// decay, per-step warm-up + cosine, gradient clipping, flip + translation), shaped for a slow CPU: the teacher
/// runs once per (image, view) before training and its logits are reused every epoch (<see cref="TeacherMode.Cached"/>).
/// Every epoch ends with an atomic checkpoint (weights + optimizer + run state), metrics.jsonl and PNG curves, so a
/// killed run loses at most the epoch in progress and <see cref="DistillOptions.Resume"/> continues exactly.
/// </summary>
public static class DistillTrainer
{
    public const string CheckpointFile = "checkpoint.bin";
    public const string MetricsFile = "metrics.jsonl";
    public const string WeightsFile = "student.weights";
    public const string ConfigFile = "student.json";
    public const string RunFile = "run.json";

    public static DistillResult Run(DistillOptions options, IProgressHost progress, CancellationToken cancel = default)
    {
        options.Validate();
        var total = Stopwatch.StartNew();
        var device = TorchDevices.Resolve(options.Device);
        if (options.Threads > 0) torch.set_num_threads(options.Threads);
        string outDir = Path.GetFullPath(options.OutputDir);
        Directory.CreateDirectory(outDir);

        var objective = LossRegistry.Compose(options.Loss, options.LossOptions);
        var mode = objective.TeacherFeatures.Count > 0 ? TeacherMode.Online : options.TeacherMode;
        if (options.TeacherCache is not null && objective.TeacherFeatures.Count > 0)
            throw new EdgeException($"--teacher-cache stores logits only; the loss {objective} needs teacher features, which need --online-teacher");

        using var teacher = OpenTeacher(options, objective.TeacherFeatures);
        var spec = options.Preprocess;
        teacher.CheckInput(spec, $"the preprocessing for {options.Dataset} ({spec})");

        using var trainSet = DatasetFactory.Open(options.Dataset, "train");
        using var testSet = DatasetFactory.Open(options.Dataset, "test");
        if (teacher.NumClasses != trainSet.ClassNames.Count)
            throw new EdgeException($"teacher {teacher.Description} predicts {teacher.NumClasses} classes but {trainSet.Description} has {trainSet.ClassNames.Count}; use a teacher trained on this dataset");

        var preprocessor = new Preprocessor(spec);
        var trainIdx = Subset(trainSet.Count, options.TrainSamples, options.Seed);
        var train = InMemorySplit.Load(trainSet, preprocessor, trainIdx);
        var test = InMemorySplit.Load(testSet, preprocessor, [.. Enumerable.Range(0, Math.Min(testSet.Count, options.TestSamples ?? int.MaxValue))]);
        var agreeIdx = Subset(test.Count, options.AgreementSamples, options.Seed + 1).Order().ToArray();
        var fpd = options.TeacherCache is null ? null : BatchBuilder.OpenCache(options, teacher.NumClasses, trainSet.Description, train);

        // Teacher targets: training views (cached mode) and the agreement subset of the test split.
        string teacherKey = TeacherKey(options, trainSet, spec);
        double teacherSeconds = 0;
        TeacherLogitCache? trainCache = null;
        int[] teacherRowsOfTrain = [];
        if (mode == TeacherMode.Cached && objective.NeedsTeacher && fpd is null)
        {
            int views = options.TeacherFlipViews ? 2 : 1;
            teacherRowsOfTrain = [.. Subset(train.Count, options.TeacherSamples, options.Seed + 2).Order()];
            var sw = Stopwatch.StartNew();
            trainCache = FillCache(Path.Combine(outDir, "teacher-train.cache"), $"{teacherKey}|train|{string.Join(",", trainIdx.Take(64))}|{train.Count}",
                teacher, train, teacherRowsOfTrain, views, spec, options.BatchSize, progress, "teacher targets (train)", cancel);
            teacherSeconds += sw.Elapsed.TotalSeconds;
        }
        var swTest = Stopwatch.StartNew();
        var testCache = FillCache(Path.Combine(outDir, "teacher-test.cache"), $"{teacherKey}|test|{test.Count}",
            teacher, test, agreeIdx, 1, spec, options.BatchSize, progress, "teacher targets (test agreement)", cancel);
        teacherSeconds += swTest.Elapsed.TotalSeconds;
        double teacherTop1 = agreeIdx.Length == 0 ? 0 : agreeIdx.Count(i => Predictions.ArgMax(testCache.Get(i, 0)) == test.Labels[i]) / (double)agreeIdx.Length;

        // Student, seeded so that the same seed gives the same initial weights.
        torch.random.manual_seed(options.Seed);
        var config = (options.StudentConfig ?? StudentRegistry.DefaultConfig(options.Student)) with { NumClasses = teacher.NumClasses };
        var model = StudentRegistry.Create(options.Student, config);
        try
        {
            if (config.InChannels != spec.Channels || config.ImageSize != spec.Height || config.ImageSize != spec.Width)
                throw new EdgeException($"student {options.Student} takes [{config.InChannels}, {config.ImageSize}, {config.ImageSize}] but the preprocessing produces [{spec.Channels}, {spec.Height}, {spec.Width}]; pick a student preset for this input size");
            if (options.Init is not null) SavedStudent.LoadWeightsInto(model, SavedStudent.WeightsPath(options.Init));
            model.to(device);
            var result = Train(options, model, objective, mode, teacher, train, test, new BatchBuilder(options, train, teacher.NumClasses, trainCache, teacherRowsOfTrain, fpd), testCache, agreeIdx,
                device, outDir, progress, cancel);
            var last = result.Count > 0 ? result[^1] : null;
            string weights = Path.Combine(outDir, WeightsFile), configPath = Path.Combine(outDir, ConfigFile);
            model.SaveWeights(weights);
            AtomicFile.WriteAllText(configPath, config.ToJson() + "\n");
            model.eval();
            double ips = result.Count == 0 ? 0 : result.Average(m => m.TrainImagesPerSecond);
            var summary = new DistillResult(model, outDir, weights, configPath, Path.Combine(outDir, CheckpointFile), result,
                last?.TestTop1 ?? 0, last?.TeacherAgreement ?? 0, teacherTop1, ips, teacherSeconds, total.Elapsed.TotalSeconds,
                objective.ToString(), teacher.Description);
            JsonFiles.Write(Path.Combine(outDir, RunFile), new RunSummary(options.Student, model.ParameterCount, objective.ToString(),
                teacher.Description, options.Epochs, summary.TestTop1, summary.TeacherAgreement, teacherTop1, ips, teacherSeconds,
                summary.TotalSeconds, fpd is null ? mode.ToString().ToLowerInvariant() : "fpd-cache", options.TeacherSamples, options.Seed));
            return summary;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private sealed record RunSummary(string Student, long Parameters, string Loss, string Teacher, int Epochs, double TestTop1,
        double TeacherAgreement, double TeacherTop1OnAgreementSet, double TrainImagesPerSecond, double TeacherSeconds,
        double TotalSeconds, string TeacherMode, int? TeacherSamples, int Seed);

    private static List<EpochMetrics> Train(DistillOptions o, StudentModel model, WeightedLoss objective, TeacherMode mode, ITeacher teacher,
        InMemorySplit train, InMemorySplit test, BatchBuilder batchBuilder, TeacherLogitCache testCache, int[] agreeIdx,
        torch.Device device, string outDir, IProgressHost progress, CancellationToken cancel)
    {
        var spec = o.Preprocess;
        using var hooks = objective.StudentFeatures.Count > 0 ? new FeatureHooks(model, objective.StudentFeatures) : null;
        long stepsPerEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize;
        var schedule = new LearningRateSchedule(o.LearningRate, Math.Min(o.MinLearningRate, o.LearningRate),
            (long)Math.Round(o.WarmupEpochs * stepsPerEpoch), stepsPerEpoch * o.Epochs);
        string fingerprint = Fingerprint(o, objective, teacher);

        // Losses with parameters (a FitNet projector) build them on a first forward: do it before the optimizer.
        if (objective.StudentFeatures.Count > 0)
            WarmUpLossParameters(o, model, objective, mode, teacher, train, batchBuilder, hooks!, device);

        // Mixed precision converts the model and gives the optimizer float32 masters; the split may move to the device
        // (only with the plain flip + translate pipeline and the per-run logit cache, which it replays exactly).
        using var precision = new MixedPrecision(o.Precision, model, objective.Parameters);
        using var resident = TrainingData.Select(o, mode == TeacherMode.Online && objective.NeedsTeacher, batchBuilder.IsPlainFlipTranslate,
            train, batchBuilder.Cache, batchBuilder.HasTeacher, device);
        var (optimizer, lrScales) = CreateOptimizer(model, objective, o, precision);
        using var _optimizer = optimizer;
        using var ema = o.Ema is { } emaDecay ? new EmaWeights(model, emaDecay, o.EmaWarmup, precision.OptimizerParameter) : null;
        // Besides the model and optimizer, a checkpoint holds the loss's own parameters, the EMA, and for a mixed-
        // precision run the float32 masters (the optimizer's real weights).
        IEnumerable<Tensor> saved = [.. objective.Parameters, .. ema?.Tensors ?? [], .. precision.MasterTensors];
        var metrics = new List<EpochMetrics>();
        int startEpoch = 1;
        long step = 0;
        string ckpt = Path.Combine(outDir, CheckpointFile);
        if (o.Resume && File.Exists(ckpt))
        {
            var state = Checkpoint.ReadState(ckpt);
            if (state.Fingerprint != fingerprint)
                throw new EdgeException($"{ckpt} was written by a run with other settings ({state.Fingerprint}); resume with the same options, or drop --resume to start over (this run: {fingerprint})");
            state = Checkpoint.Load(ckpt, model, optimizer, saved);
            precision.SyncModelFromMasters();
            metrics.AddRange(state.Metrics);
            startEpoch = state.Epoch + 1;
            step = state.Step;
        }

        for (int epoch = startEpoch; epoch <= o.Epochs; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            torch.random.manual_seed(o.Seed * 1_000_003L + epoch);
            model.train();
            var order = Enumerable.Range(0, train.Count).ToArray();
            new Random(unchecked(o.Seed * 7919 + epoch)).Shuffle(order);
            using var meter = new LossMeter(device, o.LossReadEvery);
            long seen = 0;
            int batchNo = 0;
            double lr = schedule.At(step);
            using (var bar = progress.Begin($"epoch {epoch}/{o.Epochs}", train.Count, "img"))
            {
                IEnumerable<Batch?> batches = resident is null
                    ? Batches(order, o.BatchSize, b => batchBuilder.Build(b, epoch))
                    : Enumerable.Repeat<Batch?>(null, resident.BeginEpoch(order, o.Seed, epoch, o.BatchSize));
                foreach (var batch in batches)
                {
                    cancel.ThrowIfCancellationRequested();
                    lr = schedule.At(step);
                    foreach (var (g, i) in optimizer.ParamGroups.Select((g, i) => (g, i))) g.LearningRate = lr * lrScales[i];
                    using (var scope = torch.NewDisposeScope())
                    {
                        var (x, y, teacherLogits, rows, count) = batch is null ? resident!.Batch(batchNo) : HostBatch(batch, spec, device);
                        optimizer.zero_grad();
                        var student = new DistillOutputs(model.call(x)) { Features = precision.Float(hooks?.Take()) };
                        DistillOutputs? teacherOut = null;
                        if (objective.NeedsTeacher)
                        {
                            if (mode == TeacherMode.Online)
                                teacherOut = TeacherTensors(teacher.Run(batch!.Inputs, batch.Count), device);
                            else if (teacherLogits is not null)
                                teacherOut = new DistillOutputs(teacherLogits);
                        }
                        var loss = objective.Compute(student, teacherOut, y, rows);
                        // No loss.item() here: the loss is summed on the device and read every LossReadEvery steps.
                        if (precision.Step(loss, optimizer, o.ClipNorm))
                        {
                            meter.Add(loss, count);
                            ema?.Update(step);
                        }
                        seen += count;
                    }
                    step++;
                    batchNo++;
                    if (meter.Due) meter.Read(epoch, step, lr);
                    bar.Report(seen, train.Count, double.IsNaN(meter.Mean) ? $"lr {lr:0.###e0}" : $"loss {meter.Mean:F3}  lr {lr:0.###e0}");
                }
            }
            double trainLoss = meter.Read(epoch, step, lr);
            double trainSeconds = clock.Elapsed.TotalSeconds;
            var (top1, agreement) = Evaluate(ema?.Model ?? model, test, testCache, agreeIdx, o.BatchSize * 4, device, progress, epoch, o.Epochs);
            metrics.Add(new EpochMetrics(epoch, double.IsNaN(trainLoss) ? 0 : trainLoss, seen / trainSeconds, top1, agreement, lr, clock.Elapsed.TotalSeconds));

            // Checkpoint first (atomic), then the files derived from it: a crash in between loses nothing.
            Checkpoint.Save(ckpt, new CheckpointState(epoch, step, fingerprint, metrics), model, optimizer, saved);
            WriteMetrics(Path.Combine(outDir, MetricsFile), metrics);
            if (o.Plots) TrainingCurves.Write(outDir, metrics);
        }
        if (startEpoch > o.Epochs && metrics.Count > 0)
            WriteMetrics(Path.Combine(outDir, MetricsFile), metrics);
        precision.RestoreFloat32(); // saved weights and export are float32 (the masters)
        ema?.CopyTo(model); // an EMA run's final weights are the average's
        return metrics;
    }

    /// <summary>A host batch as device tensors (in the caller's dispose scope): the same shape as a device-resident batch.
    /// Mixup/CutMix batches carry [N, C] label distributions instead of class ids.</summary>
    private static DeviceBatch HostBatch(Batch batch, PreprocessSpec spec, torch.Device device)
    {
        var x = torch.tensor(batch.Inputs, [batch.Count, spec.Channels, spec.Height, spec.Width]).to(device);
        var y = (batch.SoftLabels is null ? torch.tensor(batch.Labels) : torch.tensor(batch.SoftLabels, [batch.Count, batch.Classes])).to(device);
        if (batch.TeacherRows.Length == 0) return new DeviceBatch(x, y, null, null, batch.Count);
        var logits = torch.tensor(batch.TeacherLogits, [batch.TeacherRows.Length, batch.Classes]).to(device);
        var rows = batch.TeacherRows.Length == batch.Count ? null : torch.tensor(batch.TeacherRows.Select(r => (long)r).ToArray()).to(device);
        return new DeviceBatch(x, y, logits, rows, batch.Count);
    }

    /// <summary>Builds batch b+1 on a worker while the trainer runs batch b.</summary>
    private static IEnumerable<Batch> Batches(int[] order, int batchSize, Func<int[], Batch> build)
    {
        int count = (order.Length + batchSize - 1) / batchSize;
        int[] Slice(int b) => order[(b * batchSize)..Math.Min(order.Length, (b + 1) * batchSize)];
        Task<Batch>? next = count > 0 ? Task.Run(() => build(Slice(0))) : null;
        for (int b = 0; b < count; b++)
        {
            var current = next!.GetAwaiter().GetResult();
            int nb = b + 1;
            next = nb < count ? Task.Run(() => build(Slice(nb))) : null;
            yield return current;
        }
    }

    private static (double Top1, double Agreement) Evaluate(StudentModel model, InMemorySplit test, TeacherLogitCache testCache, int[] agreeIdx,
        int batchSize, torch.Device device, IProgressHost progress, int epoch, int epochs)
    {
        model.eval();
        var predictions = new int[test.Count];
        using (var bar = progress.Begin($"evaluate {epoch}/{epochs}", test.Count, "img"))
        using (torch.no_grad())
        {
            for (int start = 0; start < test.Count; start += batchSize)
            {
                int n = Math.Min(batchSize, test.Count - start);
                using var scope = torch.NewDisposeScope();
                var x = torch.tensor(test.Data.AsSpan(start * test.SampleLength, n * test.SampleLength).ToArray(), ShapeOf(model, n)).to(device);
                var pred = model.call(x).argmax(1).cpu().data<long>().ToArray();
                for (int i = 0; i < n; i++) predictions[start + i] = (int)pred[i];
                bar.Report(start + n, test.Count);
            }
        }
        model.train();
        double top1 = predictions.Where((p, i) => p == test.Labels[i]).Count() / (double)Math.Max(1, test.Count);
        double agreement = agreeIdx.Length == 0 ? 0 : agreeIdx.Count(i => predictions[i] == Predictions.ArgMax(testCache.Get(i, 0))) / (double)agreeIdx.Length;
        return (top1, agreement);
    }

    private static long[] ShapeOf(StudentModel model, int n) => [n, model.Config.InChannels, model.Config.ImageSize, model.Config.ImageSize];

    /// <summary>Runs the teacher on the given rows (and their flips for two views), reusing a saved cache.</summary>
    private static TeacherLogitCache FillCache(string path, string key, ITeacher teacher, InMemorySplit split, int[] rows, int views,
        PreprocessSpec spec, int batchSize, IProgressHost progress, string title, CancellationToken cancel)
    {
        var cache = TeacherLogitCache.TryLoad(path, key, split.Count, views, teacher.NumClasses) ?? new TeacherLogitCache(split.Count, views, teacher.NumClasses);
        var todo = new List<(int Row, int View)>();
        foreach (var r in rows)
            for (int v = 0; v < views; v++)
                if (!cache.Has(r, v)) todo.Add((r, v));
        if (todo.Count == 0) return cache;
        var flip = new FlipTranslate(spec.Channels, spec.Height, spec.Width, new float[spec.Channels], flip: true, maxShift: 0);
        int len = split.SampleLength, c = teacher.NumClasses;
        int chunk = Math.Max(1, Math.Min(256, batchSize));
        var input = new float[chunk * len];
        using (var bar = progress.Begin(title, todo.Count, "img"))
        {
            for (int start = 0; start < todo.Count; start += chunk)
            {
                cancel.ThrowIfCancellationRequested();
                int n = Math.Min(chunk, todo.Count - start);
                for (int i = 0; i < n; i++)
                {
                    var (row, view) = todo[start + i];
                    var dst = input.AsSpan(i * len, len);
                    if (view == 0) split.Sample(row).CopyTo(dst);
                    else flip.Apply(split.Sample(row), dst, new FlipShift(true, 0, 0));
                }
                var logits = teacher.Run(input, n).Logits;
                for (int i = 0; i < n; i++) cache.Set(todo[start + i].Row, todo[start + i].View, logits.AsSpan(i * c, c));
                bar.Report(start + n, todo.Count);
            }
        }
        cache.Save(path, key);
        return cache;
    }

    private static DistillOutputs TeacherTensors(TeacherOutputs t, torch.Device device) =>
        new(torch.tensor(t.Logits, [t.Batch, t.NumClasses]).to(device))
        {
            Features = t.Features.ToDictionary(kv => kv.Key, kv => torch.tensor(kv.Value.Data, kv.Value.Shape).to(device)),
        };

    private static void WarmUpLossParameters(DistillOptions o, StudentModel model, WeightedLoss objective, TeacherMode mode, ITeacher teacher,
        InMemorySplit train, BatchBuilder batchBuilder, FeatureHooks hooks, torch.Device device)
    {
        int n = Math.Min(Math.Min(o.BatchSize, train.Count), 8);
        var batch = batchBuilder.Build([.. Enumerable.Range(0, n)], 0);
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var spec = o.Preprocess;
        var x = torch.tensor(batch.Inputs, [n, spec.Channels, spec.Height, spec.Width]).to(device);
        var student = new DistillOutputs(model.call(x)) { Features = hooks.Take() };
        var t = mode == TeacherMode.Online ? TeacherTensors(teacher.Run(batch.Inputs, n), device) : null;
        objective.Compute(student, t, torch.tensor(batch.Labels).to(device));
    }

    // timm's recipe: no weight decay on norms, biases and TinyViT's attention biases; optional layer-wise LR decay.
    // Under mixed precision the optimizer steps the float32 masters instead of the model's low-precision weights.
    private static (AdamW Optimizer, IReadOnlyList<double> Scales) CreateOptimizer(StudentModel model, WeightedLoss objective, DistillOptions o, MixedPrecision precision)
    {
        var groups = LayerDecay.Build(model, objective.Parameters, o.LearningRate, o.WeightDecay, o.LayerDecay, precision.OptimizerParameter);
        return (FusedAdamW.Create(groups.Groups, o.LearningRate, o.WeightDecay, precision.IsMixed), groups.Scales);
    }

    internal static ITeacher OpenTeacher(DistillOptions o, IReadOnlyList<string> features)
    {
        var context = new TeacherContext { Threads = o.Threads, Features = features, Device = TorchDevices.Resolve(o.Device), Remote = o.RemoteTeacher };
        if (o.Teachers.Count == 1) return TeacherRegistry.Open(o.Teachers[0], context);
        if (features.Count > 0) throw new EdgeException("feature losses need a single teacher; an ensemble averages logits only");
        var members = new List<ITeacher>();
        try
        {
            foreach (var spec in o.Teachers) members.Add(TeacherRegistry.Open(spec, context with { Features = [] }));
            return new EnsembleTeacher(members);
        }
        catch
        {
            foreach (var m in members) m.Dispose();
            throw;
        }
    }

    private static string TeacherKey(DistillOptions o, IImageDataset train, PreprocessSpec spec) =>
        string.Join("|", o.Teachers.Select(TeacherRegistry.Identity))
        + $"|{train.Description}|{spec}";

    private static string Fingerprint(DistillOptions o, WeightedLoss objective, ITeacher teacher) =>
        $"{o.Student} epochs={o.Epochs} batch={o.BatchSize} lr={o.LearningRate} wd={o.WeightDecay} warmup={o.WarmupEpochs} seed={o.Seed} loss={objective} teacher={teacher.Description} train={o.TrainSamples?.ToString() ?? "all"} teacher-samples={o.TeacherSamples?.ToString() ?? "all"}"
        + (o.LayerDecay is { } ld ? $" layer-decay={ld}" : "") + (o.Ema is { } ema ? $" ema={ema}{(o.EmaWarmup ? "" : " no-warmup")}" : "") + (o.Init is { } init ? $" init={init}" : "")
        + (o.Augment is null ? "" : $" augment={o.Augment}") + (o.TeacherCache is null ? "" : $" teacher-cache={Path.GetFullPath(o.TeacherCache)}")
        + (o.Precision == TrainingPrecision.Fp32 ? "" : $" precision={TrainingPrecisions.Name(o.Precision)}");

    private static void WriteMetrics(string path, IReadOnlyList<EpochMetrics> metrics) =>
        AtomicFile.WriteAllText(path, string.Concat(metrics.Select(m => System.Text.Json.JsonSerializer.Serialize(m, JsonLine) + "\n")));

    private static readonly System.Text.Json.JsonSerializerOptions JsonLine = new(JsonFiles.Options) { WriteIndented = false };

    /// <summary>The first <paramref name="count"/> of a seeded permutation of 0..n−1 (all, in order, when null or ≥ n).</summary>
    internal static int[] Subset(int n, int? count, int seed)
    {
        if (count is null or <= 0 || count >= n) return [.. Enumerable.Range(0, n)];
        var order = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(order);
        return order[..count.Value];
    }

}
