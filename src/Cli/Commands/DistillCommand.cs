using System.CommandLine;
using System.Globalization;
using Edge.Cli.Terminal;
using Edge.Core;
using Edge.Core.Preprocessing;
using Edge.Distill.Augment;
using Edge.Distill.Data;
using Edge.Distill.Losses;
using Edge.Distill.Models;
using Edge.Distill.Teachers;
using Edge.Distill.Training;

namespace Edge.Cli.Commands;

/// <summary>
/// <c>edge distill</c>: trains a student from a teacher on a dataset (see <see cref="DistillTrainer"/>). The options
/// are <see cref="DistillOptions"/>: the defaults (the quickstart's CPU recipe), then a recipe file
/// (<c>--config recipe.json|yaml</c>, see <see cref="DistillRecipe"/>), then the flags given on the command line.
/// The run writes what it resolved into its folder (<c>run.json</c>).
/// </summary>
public sealed class DistillCommand : ICliCommand
{
    public Command Build()
    {
        var d = new DistillOptions { OutputDir = "runs/distill" };
        var config = new Option<string?>("--config") { Description = "Recipe file (JSON or YAML): any DistillOptions fields in snake_case, e.g. from configs/recipes/; flags override it" };
        var output = new Option<string?>("--out", "-o") { Description = "Run folder: run.json, checkpoint, metrics.jsonl, curves, student.weights (default runs/distill)" };
        var student = new Option<string?>("--student") { Description = $"Student preset: {string.Join(", ", StudentRegistry.Names)} (default {d.Student})" };
        var studentConfig = new Option<string?>("--student-config") { Description = "JSON file overriding fields of the preset's config (its family's fields: `edge distill presets` lists the families)" };
        var studentSize = new Option<int?>("--student-size") { Description = "Student input side in pixels (default: the teacher's, or the preset's native size where the teacher's does not fit the preset)" };
        var studentChannels = new Option<int?>("--student-channels") { Description = "Student input channels, 1 (gray) or 3 (RGB) (default: the teacher's)" };
        var studentMean = new Option<string?>("--student-mean") { Description = $"Student normalisation mean: values or a preset ({string.Join(", ", NormalizationPresets.Names)}) (default: the teacher's)" };
        var studentStd = new Option<string?>("--student-std") { Description = "Student normalisation std: values or a preset (default: the teacher's)" };
        var studentColor = new Option<string?>("--student-color") { Description = "rgb, or gray (with 3 channels: luma replicated to all three) (default: follows the channels)" };
        var teacher = new Option<string[]>("--teacher") { Description = $"Teacher: {string.Join(" | ", TeacherRegistry.Syntaxes)}; repeat for an ensemble (averaged soft targets; members may differ in preprocessing). Default: models/fmnist-resnet18.onnx", AllowMultipleArgumentsPerToken = false };
        var teacherConcurrency = new Option<int?>("--teacher-concurrency") { Description = $"grpc:// teacher: requests in flight at once (default {d.RemoteTeacher.Concurrency})" };
        var teacherRequestBatch = new Option<int?>("--teacher-request-batch") { Description = $"grpc:// teacher: images per ModelInfer request (default {d.RemoteTeacher.RequestBatch})" };
        var teacherRetries = new Option<int?>("--teacher-retries") { Description = $"grpc:// teacher: retries (doubling back-off) on UNAVAILABLE / DEADLINE_EXCEEDED (default {d.RemoteTeacher.Retries})" };
        var layerDecay = new Option<double?>("--layer-decay") { Description = "Layer-wise LR decay for fine-tuning, e.g. 0.75 (TinyViT: embed, each block, head)" };
        var ema = new Option<double?>("--ema") { Description = "Keep an EMA of the weights with this decay (e.g. 0.9998); evaluated each epoch and saved as the final weights" };
        var init = new Option<string?>("--init") { Description = "Start from these weights (a run folder or a .weights file) instead of a random init: fine-tuning" };
        var dataset = new DatasetFlags("Training and test data");
        var epochs = new Option<int?>("--epochs") { Description = $"Training epochs (default {d.Epochs})" };
        var batch = new Option<int?>("--batch-size") { Description = $"Batch size (default {d.BatchSize})" };
        var lr = new Option<double?>("--lr") { Description = $"Peak AdamW learning rate (default {d.LearningRate})" };
        var wd = new Option<double?>("--weight-decay") { Description = $"AdamW decoupled weight decay, not on norms and biases (default {d.WeightDecay})" };
        var warmup = new Option<double?>("--warmup-epochs") { Description = $"Linear warm-up length in epochs, then cosine decay (default {d.WarmupEpochs})" };
        var clip = new Option<double?>("--clip") { Description = $"Gradient clipping by global norm, 0: off (default {d.ClipNorm})" };
        var seed = new Option<int?>("--seed") { Description = "Seed for initialisation, shuffling and augmentation (default 0)" };
        var loss = new Option<string?>("--loss") { Description = $"Weighted losses, e.g. kd=1,ce=0.5. Known: {string.Join(", ", LossRegistry.Names)} (default kd=1,ce=0.5)" };
        var temperature = new Option<double?>("--temperature", "-T") { Description = $"Soft-target temperature (kd, dkd) (default {d.LossOptions.Temperature})" };
        var lsKdTemperature = new Option<double?>("--ls-kd-temperature") { Description = $"Base temperature of ls-kd (logit-standardised KD) (default {d.LossOptions.LsKdTemperature})" };
        var smoothing = new Option<double?>("--label-smoothing") { Description = "Label smoothing of ce (default 0)" };
        var topK = new Option<int?>("--top-k") { Description = $"Classes kept per sample by sparse-kd (default {d.LossOptions.TopK})" };
        var interClass = new Option<bool?>("--rcka-inter-class") { Description = "Add RCKA's inter-class (transposed logits) term" };
        var feature = new Option<string[]>("--feature") { Description = "Feature pair for fitnet/cka/pcka/attention: student-module=teacher-tensor (repeatable)" };
        var teacherSamples = new Option<int?>("--teacher-samples") { Description = $"Only this many training images get teacher targets (the rest train on label losses): bounds the teacher's cost; 0: all (default {d.TeacherSamples})" };
        var teacherFlip = new Option<bool?>("--teacher-flip") { Description = "Also run the teacher on mirrored images (2 teacher passes per image)" };
        var online = new Option<bool?>("--online-teacher") { Description = "Run the teacher on every augmented batch instead of caching its targets" };
        var trainSamples = new Option<int?>("--train-samples") { Description = "Train on a seeded subset of this many images" };
        var testSamples = new Option<int?>("--test-samples") { Description = "Evaluate on the first N test images" };
        var agreementSamples = new Option<int?>("--agreement-samples") { Description = $"Test images on which agreement with the teacher is measured (default {d.AgreementSamples})" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads for training and the teacher (0: all cores)" };
        var device = new Option<string?>("--device") { Description = "cpu or cuda[:N] (cuda uses EDGE_LIBTORCH, else the torch/lib of python3's PyTorch)" };
        var precision = new Option<string?>("--precision") { Description = "Student compute precision: fp32, bf16 (float32 master weights) or fp16 (plus dynamic loss scaling)" };
        var dataOn = new Option<string?>("--data-on") { Description = "Where the training split lives: auto (the GPU when it fits), host, or device" };
        var dataMemory = new Option<string?>("--data-memory") { Description = "Decoded training images: auto (in memory when they fit --memory-budget), memory, or stream (decoded by workers every epoch)" };
        var memoryBudget = new Option<string?>("--memory-budget") { Description = $"Largest decoded training split held in memory under auto, e.g. 2g, 512m (default {d.MemoryBudgetMb}m)" };
        var workers = new Option<int?>("--workers") { Description = "Threads that decode, augment and preprocess batches (0: one per core); batches do not depend on it" };
        var prefetch = new Option<int?>("--prefetch") { Description = $"Batches built ahead of training (default {d.Prefetch})" };
        var resume = new Option<bool?>("--resume") { Description = "Continue from the run folder's last completed epoch" };
        var noPlots = new Option<bool?>("--no-plots") { Description = "Do not draw PNG curves" };
        var augment = new Option<string?>("--augment") { Description = $"Augmentation, e.g. flip,translate=3,rrc=0.6,jitter=0.2,randaug=2x9,erase=0.25,mixup=0.8,cutmix=1.0 or none. Known: {string.Join(", ", AugmentRegistry.Usages)}. Default: {AugmentConfig.Default}" };
        var teacherCache = new Option<string?>("--teacher-cache") { Description = "Train from a TinyViT fast-distillation cache (`edge distill cache`): replays its augmentation seeds and teacher top-k, never runs the teacher on training images" };

        var command = new Command("distill", "Distill a student (TinyViT, EfficientNet, MobileNetV3) from a teacher (any ONNX classifier package, a TorchSharp run, a KServe v2 server, or an ensemble)")
        {
            config, output, student, studentConfig, studentSize, studentChannels, studentMean, studentStd, studentColor, teacher,
            epochs, batch, lr, wd, warmup, clip, seed, loss, temperature, lsKdTemperature, smoothing, topK, interClass, feature, teacherSamples, teacherFlip, online,
            trainSamples, testSamples, agreementSamples, threads, device, precision, dataOn, dataMemory, memoryBudget, workers, prefetch, resume, noPlots,
            teacherConcurrency, teacherRequestBatch, teacherRetries, layerDecay, ema, init, augment, teacherCache,
        };
        foreach (var o in dataset.All) command.Options.Add(o);
        command.Subcommands.Add(new DistillCacheCommand().Build());
        command.Subcommands.Add(new DistillPresetsCommand().Build());
        command.SetAction(parse =>
        {
            var o = parse.GetValue(config) is { } recipe ? DistillRecipe.Apply(d, recipe) : d;
            T Pick<T>(Option<T?> option, T current) where T : struct => parse.GetValue(option) ?? current;
            string PickText(Option<string?> option, string current) => parse.GetValue(option) ?? current;
            string preset = PickText(student, o.Student);
            var remote = o.RemoteTeacher;
            var lossOptions = o.LossOptions;
            o = o with
            {
                OutputDir = PickText(output, o.OutputDir),
                Student = preset,
                StudentConfig = parse.GetValue(studentConfig) is { } file ? StudentRegistry.ConfigFromFile(preset, file)
                    : preset != o.Student ? null : o.StudentConfig,
                StudentInput = o.StudentInput with
                {
                    Size = parse.GetValue(studentSize) ?? o.StudentInput.Size,
                    Channels = parse.GetValue(studentChannels) ?? o.StudentInput.Channels,
                    Mean = parse.GetValue(studentMean) is { } mean ? NormalizationPresets.ParseVector(mean, "--student-mean", std: false) : o.StudentInput.Mean,
                    Std = parse.GetValue(studentStd) is { } std ? NormalizationPresets.ParseVector(std, "--student-std", std: true) : o.StudentInput.Std,
                    Color = parse.GetValue(studentColor) is { } color ? ParseColor(color) : o.StudentInput.Color,
                },
                Teachers = parse.GetValue(teacher) is { Length: > 0 } given ? given : o.Teachers.SequenceEqual([DistillOptions.DefaultTeacher]) ? [DefaultPaths.Teacher()] : o.Teachers,
                Dataset = dataset.Source(parse, o.Dataset),
                Epochs = Pick(epochs, o.Epochs),
                BatchSize = Pick(batch, o.BatchSize),
                LearningRate = Pick(lr, o.LearningRate),
                WeightDecay = Pick(wd, o.WeightDecay),
                WarmupEpochs = Pick(warmup, o.WarmupEpochs),
                ClipNorm = Pick(clip, o.ClipNorm),
                Seed = Pick(seed, o.Seed),
                Loss = parse.GetValue(loss) is { } terms ? LossWeight.ParseList(terms) : o.Loss,
                LossOptions = lossOptions with
                {
                    Temperature = Pick(temperature, lossOptions.Temperature),
                    LsKdTemperature = Pick(lsKdTemperature, lossOptions.LsKdTemperature),
                    LabelSmoothing = Pick(smoothing, lossOptions.LabelSmoothing),
                    TopK = Pick(topK, lossOptions.TopK),
                    RckaInterClass = Pick(interClass, lossOptions.RckaInterClass),
                    FeaturePairs = parse.GetValue(feature) is { Length: > 0 } pairs ? [.. pairs.Select(ParsePair)] : lossOptions.FeaturePairs,
                },
                TeacherSamples = parse.GetValue(teacherSamples) ?? o.TeacherSamples,
                TeacherFlipViews = Pick(teacherFlip, o.TeacherFlipViews),
                TeacherMode = parse.GetValue(online) is { } on ? (on ? TeacherMode.Online : TeacherMode.Cached) : o.TeacherMode,
                TrainSamples = parse.GetValue(trainSamples) ?? o.TrainSamples,
                TestSamples = parse.GetValue(testSamples) ?? o.TestSamples,
                AgreementSamples = Pick(agreementSamples, o.AgreementSamples),
                Threads = Pick(threads, o.Threads),
                Device = PickText(device, o.Device),
                Precision = parse.GetValue(precision) is { } p ? TrainingPrecisions.Parse(p) : o.Precision,
                DataResidence = parse.GetValue(dataOn) is { } on2 ? Parse(Residences, on2, "--data-on") : o.DataResidence,
                DataMemory = parse.GetValue(dataMemory) is { } mem ? Parse(Memories, mem, "--data-memory") : o.DataMemory,
                MemoryBudgetMb = parse.GetValue(memoryBudget) is { } budget ? SampleStore.ParseBytes(budget) >> 20 : o.MemoryBudgetMb,
                Workers = Pick(workers, o.Workers),
                Prefetch = Pick(prefetch, o.Prefetch),
                Resume = Pick(resume, o.Resume),
                Plots = parse.GetValue(noPlots) is { } np ? !np : o.Plots,
                RemoteTeacher = remote with
                {
                    Concurrency = Pick(teacherConcurrency, remote.Concurrency),
                    RequestBatch = Pick(teacherRequestBatch, remote.RequestBatch),
                    Retries = Pick(teacherRetries, remote.Retries),
                },
                LayerDecay = parse.GetValue(layerDecay) ?? o.LayerDecay,
                Ema = parse.GetValue(ema) ?? o.Ema,
                Init = parse.GetValue(init) ?? o.Init,
                Augment = parse.GetValue(augment) is { } a ? AugmentConfig.Parse(a) : o.Augment,
                TeacherCache = parse.GetValue(teacherCache) ?? o.TeacherCache,
            };
            var writer = parse.InvocationConfiguration.Output;
            bool interactive = ReferenceEquals(writer, System.Console.Out) && !System.Console.IsOutputRedirected;
            writer.WriteLine($"distill {o.Student} from {string.Join(" + ", o.Teachers.Select(t => t.Contains(':') ? t : Path.GetFileName(t.TrimEnd('/'))))} on {o.Dataset}: {o.Epochs} epochs, loss {LossRegistry.Compose(o.Loss, o.LossOptions)}");
            using var result = DistillTrainer.Run(o, new ConsoleProgressHost(writer, interactive));
            foreach (var m in result.Epochs)
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {m.Epoch}: loss {m.TrainLoss:F4}  test top-1 {m.TestTop1:P2}  agreement {m.TeacherAgreement:P2}  {m.TrainImagesPerSecond:F0} img/s  {m.Seconds:F0} s"));
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"done in {result.TotalSeconds / 60:F1} min (teacher {result.TeacherSeconds:F0} s): test top-1 {result.TestTop1:P2}, agreement with teacher {result.TeacherAgreement:P2} (teacher {result.TeacherTop1:P2} on the same images); weights {result.WeightsPath}"));
            return 0;
        });
        return command;
    }

    private static readonly Dictionary<string, DataResidence> Residences = new(StringComparer.OrdinalIgnoreCase)
    {
        ["auto"] = DataResidence.Auto, ["host"] = DataResidence.Host, ["device"] = DataResidence.Device,
    };

    private static readonly Dictionary<string, DataMemory> Memories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["auto"] = DataMemory.Auto, ["memory"] = DataMemory.Memory, ["stream"] = DataMemory.Stream,
    };

    private static T Parse<T>(Dictionary<string, T> choices, string text, string flag) =>
        choices.TryGetValue(text.Trim(), out var r) ? r : throw new EdgeException($"{flag} '{text}' is not one of: {string.Join(", ", choices.Keys)}");

    private static ColorMode ParseColor(string text) => text.Trim().ToLowerInvariant() switch
    {
        "rgb" => ColorMode.Rgb,
        "gray" or "grey" => ColorMode.Gray,
        _ => throw new EdgeException($"--student-color '{text}' is not rgb or gray"),
    };

    private static FeaturePair ParsePair(string text)
    {
        var parts = text.Split('=', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            throw new EdgeException($"--feature '{text}' is not student-module=teacher-tensor, e.g. --feature stages.2=/layer3/layer3.1/relu_1/Relu_output_0");
        return new FeaturePair(parts[0], parts[1]);
    }
}
