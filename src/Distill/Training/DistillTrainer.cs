using System.Diagnostics;
using Edge.Core;
using System.Text.Json;
using Edge.Core.Data;
using Edge.Core.Evaluation;
using Edge.Core.Metrics;
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
        int workers = options.Workers > 0 ? options.Workers : Environment.ProcessorCount;
        string outDir = Path.GetFullPath(options.OutputDir);
        Directory.CreateDirectory(outDir);

        var objective = LossRegistry.Compose(options.Loss, options.LossOptions);
        var mode = objective.TeacherFeatures.Count > 0 ? TeacherMode.Online : options.TeacherMode;
        if (options.TeacherCache is not null && objective.TeacherFeatures.Count > 0)
            throw new EdgeException($"--teacher-cache stores logits only; the loss {objective} needs teacher features, which need --online-teacher");

        using var teacher = OpenTeacher(options, objective.TeacherFeatures);
        using var trainSet = options.Dataset.Open("train");
        using var testSet = options.Dataset.Open("test");
        int[] trainToTeacher = ClassesByLabel(teacher, trainSet);
        int[] testToTeacher = ClassesByLabel(teacher, testSet);

        // The student's own preprocessing and the architecture built for it.
        var preset = options.StudentConfig ?? StudentRegistry.DefaultConfig(options.Student);
        var studentSpec = StudentPreprocess.Resolve(options.StudentInput, teacher.Specs()[0], preset.InChannels, preset.ImageSize,
            (c, size) => StudentInputs.Fits(preset, c, size));
        var config = StudentInputs.ForInput(preset, studentSpec, options.Student).WithClasses(teacher.NumClasses);

        long budget = options.MemoryBudgetMb << 20;
        var trainIdx = Subset(trainSet.Count, options.TrainSamples, options.Seed);
        var train = SampleStore.Open(trainSet, trainIdx, options.DataMemory, budget, workers, progress, "decode train", cancel);
        var test = SampleStore.Open(testSet, [.. Enumerable.Range(0, Math.Min(testSet.Count, options.TestSamples ?? int.MaxValue))],
            options.DataMemory, budget, workers, progress, "decode test", cancel);
        var agreeIdx = Subset(test.Count, options.AgreementSamples, options.Seed + 1).Order().ToArray();

        // Student, seeded so that the same seed gives the same initial weights.
        torch.random.manual_seed(options.Seed);
        var model = StudentRegistry.Create(options.Student, config);
        try
        {
            // The run describes itself before it trains: a killed run still says what it was.
            var record = new DistillRecord
            {
                Options = options with { OutputDir = outDir },
                Student = new StudentRecord(options.Student, JsonDocument.Parse(config.ToJson()).RootElement.Clone(), studentSpec, model.ParameterCount),
                Teachers = teacher.Cards,
                Labels = teacher.Labels,
                Objective = objective.ToString(),
            }.Sealed();
            if (options.Resume && File.Exists(Path.Combine(outDir, CheckpointFile)) && File.Exists(DistillRecord.PathIn(outDir)))
            {
                var earlier = DistillRecord.Read(outDir);
                if (earlier.Fingerprint != record.Fingerprint)
                    throw new EdgeException($"--resume: {outDir} holds a run with other settings ({string.Join(", ", record.Differences(earlier).Take(6))} differ); resume with the options in its {DistillRecord.FileName} (edge distill --config {DistillRecord.PathIn(outDir)} --resume), or drop --resume to start over");
            }
            record.Write(outDir);

            var fpd = options.TeacherCache is null ? null : BatchBuilder.OpenCache(options, teacher, trainSet.Description, train);
            // Teacher targets: training views (cached mode) and the agreement subset of the test split.
            string teacherKey = $"{teacher.Fingerprint()}|{trainSet.Description}";
            double teacherSeconds = 0;
            TeacherLogitCache? trainCache = null;
            int[] teacherRowsOfTrain = [];
            if (mode == TeacherMode.Cached && objective.NeedsTeacher && fpd is null)
            {
                int views = options.TeacherFlipViews ? 2 : 1;
                teacherRowsOfTrain = [.. Subset(train.Count, options.TeacherSamples, options.Seed + 2).Order()];
                var sw = Stopwatch.StartNew();
                trainCache = FillCache(Path.Combine(outDir, "teacher-train.cache"), $"{teacherKey}|train|{string.Join(",", trainIdx.Take(64))}|{train.Count}",
                    teacher, train, teacherRowsOfTrain, views, options.BatchSize, workers, progress, "teacher targets (train)", cancel);
                teacherSeconds += sw.Elapsed.TotalSeconds;
            }
            var swTest = Stopwatch.StartNew();
            var testCache = FillCache(Path.Combine(outDir, "teacher-test.cache"), $"{teacherKey}|test|{test.Count}",
                teacher, test, agreeIdx, 1, options.BatchSize, workers, progress, "teacher targets (test agreement)", cancel);
            teacherSeconds += swTest.Elapsed.TotalSeconds;
            double teacherTop1 = agreeIdx.Length == 0 ? 0 : agreeIdx.Count(i => Predictions.ArgMax(testCache.Get(i, 0)) == testToTeacher[test.Label(i)]) / (double)agreeIdx.Length;

            if (options.Init is not null) SavedStudent.LoadWeightsInto(model, SavedStudent.WeightsPath(options.Init));
            model.to(device);
            var eager = mode == TeacherMode.Online && objective.NeedsTeacher ? teacher.Specs() : [];
            var builder = new BatchBuilder(options, train, studentSpec, eager, trainToTeacher, teacher.NumClasses, trainCache, teacherRowsOfTrain, fpd, workers);
            var context = new TrainContext(options, studentSpec, objective, mode, teacher, train, test, trainToTeacher, testToTeacher, builder, testCache, agreeIdx,
                device, outDir, record.Fingerprint, workers);
            var result = Train(context, model, progress, cancel);
            var last = result.Count > 0 ? result[^1] : null;
            string weights = Path.Combine(outDir, WeightsFile), configPath = Path.Combine(outDir, ConfigFile);
            model.SaveWeights(weights);
            AtomicFile.WriteAllText(configPath, config.ToJson() + "\n");
            model.eval();
            double ips = result.Count == 0 ? 0 : result.Average(m => m.TrainImagesPerSecond);
            var summary = new DistillResult(model, outDir, weights, configPath, Path.Combine(outDir, CheckpointFile), result,
                last?.TestTop1 ?? 0, last?.TeacherAgreement ?? 0, teacherTop1, ips, teacherSeconds, total.Elapsed.TotalSeconds,
                objective.ToString(), teacher.Description);
            (record with
            {
                Result = new DistillOutcome(summary.TestTop1, summary.TeacherAgreement, teacherTop1, ips, teacherSeconds, summary.TotalSeconds,
                    fpd is null ? mode.ToString().ToLowerInvariant() : "fpd-cache", options.Epochs, FileHash.Sha256(weights),
                    train.InMemory ? "memory" : "stream"),
            }).Write(outDir);
            return summary;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Dataset class index → teacher class index, matched by label (never by index order).</summary>
    private static int[] ClassesByLabel(ITeacher teacher, IImageDataset set)
    {
        var teacherToSet = ClassMapping.Build(teacher.Labels, teacher.NumClasses, set.ClassNames, $"teacher {teacher.Description}", set.Description);
        var setToTeacher = new int[set.ClassNames.Count];
        for (int t = 0; t < teacherToSet.Length; t++) setToTeacher[teacherToSet[t]] = t;
        return setToTeacher;
    }

    /// <summary>What one training loop needs besides the model.</summary>
    private sealed record TrainContext(DistillOptions Options, PreprocessSpec StudentSpec, WeightedLoss Objective, TeacherMode Mode, ITeacher Teacher,
        SampleStore Train, SampleStore Test, int[] TrainToTeacher, int[] TestToTeacher, BatchBuilder Builder, TeacherLogitCache TestCache, int[] AgreeIdx,
        torch.Device Device, string OutDir, string Fingerprint, int Workers);

    private static List<EpochMetrics> Train(TrainContext x, StudentModel model, IProgressHost progress, CancellationToken cancel)
    {
        var (o, spec, objective, mode, teacher, train) = (x.Options, x.StudentSpec, x.Objective, x.Mode, x.Teacher, x.Train);
        var (batchBuilder, device, outDir, fingerprint) = (x.Builder, x.Device, x.OutDir, x.Fingerprint);
        using var hooks = objective.StudentFeatures.Count > 0 ? new FeatureHooks(model, objective.StudentFeatures) : null;
        long stepsPerEpoch = (train.Count + o.BatchSize - 1) / o.BatchSize;
        var schedule = new LearningRateSchedule(o.LearningRate, Math.Min(o.MinLearningRate, o.LearningRate),
            (long)Math.Round(o.WarmupEpochs * stepsPerEpoch), stepsPerEpoch * o.Epochs);

        // Losses with parameters (a FitNet projector) build them on a first forward: do it before the optimizer.
        if (objective.StudentFeatures.Count > 0)
            WarmUpLossParameters(x, model, hooks!);

        // Mixed precision converts the model and gives the optimizer float32 masters; the split may move to the device
        // (only with the plain flip + translate pipeline and the per-run logit cache, which it replays exactly).
        using var precision = new MixedPrecision(o.Precision, model, objective.Parameters);
        using var resident = TrainingData.Select(o, mode == TeacherMode.Online && objective.NeedsTeacher, batchBuilder.IsPlainFlipTranslate,
            train, spec, x.TrainToTeacher, batchBuilder.Cache, batchBuilder.HasTeacher, x.Workers, device);
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
                throw new EdgeException($"{ckpt} was written by a run with other settings (fingerprint {state.Fingerprint[..Math.Min(12, state.Fingerprint.Length)]}…, this run {fingerprint[..12]}…); resume with the options in {DistillRecord.FileName}, or drop --resume to start over");
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
                int epochNo = epoch;
                IEnumerable<Batch?> batches = resident is null
                    ? BatchQueue.InOrder(Chunks(order, o.BatchSize), b => batchBuilder.Build(b, epochNo), o.Prefetch, cancel)
                    : Enumerable.Repeat<Batch?>(null, resident.BeginEpoch(order, o.Seed, epoch, o.BatchSize));
                foreach (var batch in batches)
                {
                    cancel.ThrowIfCancellationRequested();
                    lr = schedule.At(step);
                    foreach (var (g, i) in optimizer.ParamGroups.Select((g, i) => (g, i))) g.LearningRate = lr * lrScales[i];
                    using (var scope = torch.NewDisposeScope())
                    {
                        var (xb, y, teacherLogits, rows, count) = batch is null ? resident!.Batch(batchNo) : HostBatch(batch, spec, device);
                        optimizer.zero_grad();
                        var student = new DistillOutputs(model.call(xb)) { Features = precision.Float(hooks?.Take()) };
                        DistillOutputs? teacherOut = null;
                        if (objective.NeedsTeacher)
                        {
                            if (mode == TeacherMode.Online)
                                teacherOut = TeacherTensors(teacher.Run(batch!.Views), device);
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
                    TrainingThreadGc.AfterStep();
                    if (meter.Due) meter.Read(epoch, step, lr);
                    bar.Report(seen, train.Count, double.IsNaN(meter.Mean) ? $"lr {lr:0.###e0}" : $"loss {meter.Mean:F3}  lr {lr:0.###e0}");
                }
            }
            double trainLoss = meter.Read(epoch, step, lr);
            double trainSeconds = clock.Elapsed.TotalSeconds;
            var (top1, agreement) = Evaluate(ema?.Model ?? model, x, o.BatchSize * 4, progress, epoch, cancel);
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

    private static IEnumerable<int[]> Chunks(int[] order, int size)
    {
        for (int start = 0; start < order.Length; start += size)
            yield return order[start..Math.Min(order.Length, start + size)];
    }

    /// <summary>Test top-1 (labels in the teacher's class order) and agreement with the teacher's cached answers.</summary>
    private static (double Top1, double Agreement) Evaluate(StudentModel model, TrainContext x, int batchSize, IProgressHost progress, int epoch, CancellationToken cancel)
    {
        var (test, spec) = (x.Test, x.StudentSpec);
        model.eval();
        var predictions = new int[test.Count];
        var rows = Enumerable.Range(0, test.Count).ToArray();
        using (var bar = progress.Begin($"evaluate {epoch}/{x.Options.Epochs}", test.Count, "img"))
        using (torch.no_grad())
        {
            int start = 0;
            foreach (var input in BatchQueue.InOrder(Chunks(rows, batchSize), chunk => (chunk.Length, ViewBatch.Plain(test, chunk, workers: x.Workers).View(spec)), 2, cancel))
            {
                int n = input.Length;
                using var scope = torch.NewDisposeScope();
                var t = torch.tensor(input.Item2, [n, spec.Channels, spec.Height, spec.Width]).to(x.Device);
                var pred = model.call(t).argmax(1).cpu().data<long>().ToArray();
                for (int i = 0; i < n; i++) predictions[start + i] = (int)pred[i];
                start += n;
                TrainingThreadGc.AfterStep();
                bar.Report(start, test.Count);
            }
        }
        model.train();
        double top1 = predictions.Where((p, i) => p == x.TestToTeacher[test.Label(i)]).Count() / (double)Math.Max(1, test.Count);
        double agreement = x.AgreeIdx.Length == 0 ? 0 : x.AgreeIdx.Count(i => predictions[i] == Predictions.ArgMax(x.TestCache.Get(i, 0))) / (double)x.AgreeIdx.Length;
        return (top1, agreement);
    }

    /// <summary>Runs the teacher on the given rows (view 0: the image; view 1: its mirror), reusing a saved cache.</summary>
    private static TeacherLogitCache FillCache(string path, string key, ITeacher teacher, SampleStore split, int[] rows, int views,
        int batchSize, int workers, IProgressHost progress, string title, CancellationToken cancel)
    {
        var cache = TeacherLogitCache.TryLoad(path, key, split.Count, views, teacher.NumClasses) ?? new TeacherLogitCache(split.Count, views, teacher.NumClasses);
        int c = teacher.NumClasses;
        int chunk = Math.Max(1, Math.Min(256, batchSize));
        var todo = Enumerable.Range(0, views).SelectMany(v => rows.Where(r => !cache.Has(r, v)).Select(r => (Row: r, View: v))).ToArray();
        if (todo.Length == 0) return cache;
        // Chunks never mix the two views, so each is one plain (or mirrored) batch of canvases.
        var work = todo.GroupBy(t => t.View).SelectMany(g => g.Chunk(chunk)).ToArray();
        int done = 0;
        using (var bar = progress.Begin(title, todo.Length, "img"))
        {
            foreach (var (part, views_) in BatchQueue.InOrder(work, part => (part, ViewBatch.Plain(split, [.. part.Select(p => p.Row)], part[0].View == 1, workers)), 2, cancel))
            {
                var logits = teacher.Run(views_).Logits;
                for (int i = 0; i < part.Length; i++) cache.Set(part[i].Row, part[i].View, logits.AsSpan(i * c, c));
                done += part.Length;
                bar.Report(done, todo.Length);
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

    private static void WarmUpLossParameters(TrainContext x, StudentModel model, FeatureHooks hooks)
    {
        int n = Math.Min(Math.Min(x.Options.BatchSize, x.Train.Count), 8);
        var batch = x.Builder.Build([.. Enumerable.Range(0, n)], 0);
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var spec = x.StudentSpec;
        var input = torch.tensor(batch.Inputs, [n, spec.Channels, spec.Height, spec.Width]).to(x.Device);
        var student = new DistillOutputs(model.call(input)) { Features = hooks.Take() };
        var t = x.Mode == TeacherMode.Online ? TeacherTensors(x.Teacher.Run(batch.Views), x.Device) : null;
        x.Objective.Compute(student, t, torch.tensor(batch.Labels).to(x.Device));
    }

    // timm's recipe: no weight decay on norms, biases and TinyViT's attention biases; optional layer-wise LR decay.
    // Under mixed precision the optimizer steps the float32 masters instead of the model's low-precision weights.
    private static (AdamW Optimizer, IReadOnlyList<double> Scales) CreateOptimizer(StudentModel model, WeightedLoss objective, DistillOptions o, MixedPrecision precision)
    {
        var groups = LayerDecay.Build(model, objective.Parameters, o.LearningRate, o.WeightDecay, o.LayerDecay, precision.OptimizerParameter);
        return (FusedAdamW.Create(groups.Groups, o.LearningRate, o.WeightDecay, precision.IsMixed), groups.Scales);
    }

    /// <summary>Opens the run's teacher: one, or an ensemble of members that may each have their own preprocessing.</summary>
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
