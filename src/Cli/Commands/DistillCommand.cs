using System.CommandLine;
using System.Globalization;
using Edge.Cli.Terminal;
using Edge.Core;
using Edge.Distill.Augment;
using Edge.Distill.Data;
using Edge.Distill.Losses;
using Edge.Distill.Models;
using Edge.Distill.Teachers;
using Edge.Distill.Training;

namespace Edge.Cli.Commands;

/// <summary>
/// <c>edge distill</c>: trains a student from a teacher on a dataset (see <see cref="DistillTrainer"/>). Every
/// option maps to one field of <see cref="DistillOptions"/>; the defaults are the quickstart's CPU recipe.
/// </summary>
public sealed class DistillCommand : ICliCommand
{
    public Command Build()
    {
        var defaults = new DistillOptions { OutputDir = "runs/distill" };
        var output = new Option<string>("--out", "-o") { Description = "Run folder: checkpoint, metrics.jsonl, curves, student.weights", DefaultValueFactory = _ => "runs/distill" };
        var student = new Option<string>("--student") { Description = $"Student preset: {string.Join(", ", StudentRegistry.Names)}", DefaultValueFactory = _ => defaults.Student };
        var studentConfig = new Option<string?>("--student-config") { Description = "JSON file overriding fields of the preset's config (its family's fields: `edge distill presets` lists the families)" };
        var teacher = new Option<string[]>("--teacher") { Description = $"Teacher: {string.Join(" | ", TeacherRegistry.Syntaxes)}; repeat for an ensemble (averaged soft targets). Default: models/fmnist-resnet18.onnx", AllowMultipleArgumentsPerToken = false };
        var remoteDefaults = defaults.RemoteTeacher;
        var teacherConcurrency = new Option<int>("--teacher-concurrency") { Description = "grpc:// teacher: requests in flight at once", DefaultValueFactory = _ => remoteDefaults.Concurrency };
        var teacherRequestBatch = new Option<int>("--teacher-request-batch") { Description = "grpc:// teacher: images per ModelInfer request", DefaultValueFactory = _ => remoteDefaults.RequestBatch };
        var teacherRetries = new Option<int>("--teacher-retries") { Description = "grpc:// teacher: retries (doubling back-off) on UNAVAILABLE / DEADLINE_EXCEEDED", DefaultValueFactory = _ => remoteDefaults.Retries };
        var layerDecay = new Option<double?>("--layer-decay") { Description = "Layer-wise LR decay for fine-tuning, e.g. 0.75 (TinyViT: embed, each block, head)" };
        var ema = new Option<double?>("--ema") { Description = "Keep an EMA of the weights with this decay (e.g. 0.9998); evaluated each epoch and saved as the final weights" };
        var init = new Option<string?>("--init") { Description = "Start from these weights (a run folder or a .weights file) instead of a random init: fine-tuning" };
        var data = new Option<string>("--data") { Description = "Dataset: a folder of IDX files, an image folder, or fashion-mnist", DefaultValueFactory = _ => defaults.Dataset };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs", DefaultValueFactory = _ => defaults.Epochs };
        var batch = new Option<int>("--batch-size") { Description = "Batch size", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double>("--lr") { Description = "Peak AdamW learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW decoupled weight decay (not on norms and biases)", DefaultValueFactory = _ => defaults.WeightDecay };
        var warmup = new Option<double>("--warmup-epochs") { Description = "Linear warm-up length in epochs, then cosine decay", DefaultValueFactory = _ => defaults.WarmupEpochs };
        var clip = new Option<double>("--clip") { Description = "Gradient clipping by global norm (0: off)", DefaultValueFactory = _ => defaults.ClipNorm };
        var seed = new Option<int>("--seed") { Description = "Seed for initialisation, shuffling and augmentation", DefaultValueFactory = _ => defaults.Seed };
        var loss = new Option<string>("--loss") { Description = $"Weighted losses, e.g. kd=1,ce=0.5. Known: {string.Join(", ", LossRegistry.Names)}", DefaultValueFactory = _ => "kd=1,ce=0.5" };
        var temperature = new Option<double>("--temperature", "-T") { Description = "Soft-target temperature (kd, dkd)", DefaultValueFactory = _ => defaults.LossOptions.Temperature };
        var smoothing = new Option<double>("--label-smoothing") { Description = "Label smoothing of ce", DefaultValueFactory = _ => defaults.LossOptions.LabelSmoothing };
        var topK = new Option<int>("--top-k") { Description = "Classes kept per sample by sparse-kd", DefaultValueFactory = _ => defaults.LossOptions.TopK };
        var interClass = new Option<bool>("--rcka-inter-class") { Description = "Add RCKA's inter-class (transposed logits) term" };
        var feature = new Option<string[]>("--feature") { Description = "Feature pair for fitnet/cka/pcka/attention: student-module=teacher-tensor (repeatable)" };
        var teacherSamples = new Option<int>("--teacher-samples") { Description = "Only this many training images get teacher targets (the rest train on label losses): bounds the teacher's cost; 0: all", DefaultValueFactory = _ => defaults.TeacherSamples ?? 0 };
        var teacherFlip = new Option<bool>("--teacher-flip") { Description = "Also run the teacher on flipped images (2 teacher passes per image)" };
        var online = new Option<bool>("--online-teacher") { Description = "Run the teacher on every augmented batch instead of caching its logits" };
        var trainSamples = new Option<int?>("--train-samples") { Description = "Train on a seeded subset of this many images" };
        var testSamples = new Option<int?>("--test-samples") { Description = "Evaluate on the first N test images" };
        var agreementSamples = new Option<int>("--agreement-samples") { Description = "Test images on which agreement with the teacher is measured", DefaultValueFactory = _ => defaults.AgreementSamples };
        var threads = new Option<int>("--threads") { Description = "CPU threads for training and the teacher (0: all cores)", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N] (cuda uses EDGE_LIBTORCH, else the torch/lib of python3's PyTorch)", DefaultValueFactory = _ => "cpu" };
        var precision = new Option<string>("--precision") { Description = "Student compute precision: fp32, bf16 (float32 master weights) or fp16 (plus dynamic loss scaling)", DefaultValueFactory = _ => "fp32" };
        var dataOn = new Option<string>("--data-on") { Description = "Where the training split lives: auto (the GPU when it fits), host, or device", DefaultValueFactory = _ => "auto" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the run folder's last completed epoch" };
        var noPlots = new Option<bool>("--no-plots") { Description = "Do not draw PNG curves" };
        var augment = new Option<string?>("--augment") { Description = $"Augmentation, e.g. flip,translate=3,rrc=0.6,jitter=0.2,randaug=2x9,erase=0.25,mixup=0.8,cutmix=1.0 or none. Known: {string.Join(", ", AugmentRegistry.Usages)}. Default: {AugmentConfig.Default}" };
        var teacherCache = new Option<string?>("--teacher-cache") { Description = "Train from a TinyViT fast-distillation cache (`edge distill cache`): replays its augmentation seeds and teacher top-k, never runs the teacher on training images" };

        var command = new Command("distill", "Distill a student (TinyViT, EfficientNet, MobileNetV3) from a teacher ONNX classifier")
        {
            output, student, studentConfig, teacher, data, epochs, batch, lr, wd, warmup, clip, seed, loss, temperature, smoothing, topK,
            interClass, feature, teacherSamples, teacherFlip, online, trainSamples, testSamples, agreementSamples, threads, device, precision, dataOn, resume, noPlots,
            teacherConcurrency, teacherRequestBatch, teacherRetries, layerDecay, ema, init,
            augment, teacherCache,
        };
        command.Subcommands.Add(new DistillCacheCommand().Build());
        command.Subcommands.Add(new DistillPresetsCommand().Build());
        command.SetAction(parse =>
        {
            string preset = parse.GetValue(student)!;
            string? configFile = parse.GetValue(studentConfig);
            var teachers = parse.GetValue(teacher) is { Length: > 0 } given ? given : [DefaultTeacherPath()];
            var options = new DistillOptions
            {
                OutputDir = parse.GetValue(output)!,
                Student = preset,
                StudentConfig = configFile is null ? null : StudentRegistry.ConfigFromFile(preset, configFile),
                Teachers = teachers,
                Dataset = parse.GetValue(data)!,
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                WeightDecay = parse.GetValue(wd),
                WarmupEpochs = parse.GetValue(warmup),
                ClipNorm = parse.GetValue(clip),
                Seed = parse.GetValue(seed),
                Loss = LossWeight.ParseList(parse.GetValue(loss)!),
                LossOptions = new LossOptions
                {
                    Temperature = parse.GetValue(temperature),
                    LabelSmoothing = parse.GetValue(smoothing),
                    TopK = parse.GetValue(topK),
                    RckaInterClass = parse.GetValue(interClass),
                    FeaturePairs = [.. (parse.GetValue(feature) ?? []).Select(ParsePair)],
                },
                TeacherSamples = parse.GetValue(teacherSamples),
                TeacherFlipViews = parse.GetValue(teacherFlip),
                TeacherMode = parse.GetValue(online) ? TeacherMode.Online : TeacherMode.Cached,
                TrainSamples = parse.GetValue(trainSamples),
                TestSamples = parse.GetValue(testSamples),
                AgreementSamples = parse.GetValue(agreementSamples),
                Threads = parse.GetValue(threads),
                Device = parse.GetValue(device)!,
                Precision = TrainingPrecisions.Parse(parse.GetValue(precision)!),
                DataResidence = ParseResidence(parse.GetValue(dataOn)!),
                Resume = parse.GetValue(resume),
                Plots = !parse.GetValue(noPlots),
                RemoteTeacher = remoteDefaults with
                {
                    Concurrency = parse.GetValue(teacherConcurrency),
                    RequestBatch = parse.GetValue(teacherRequestBatch),
                    Retries = parse.GetValue(teacherRetries),
                },
                LayerDecay = parse.GetValue(layerDecay),
                Ema = parse.GetValue(ema),
                Init = parse.GetValue(init),
                Augment = parse.GetValue(augment) is { } a ? AugmentConfig.Parse(a) : null,
                TeacherCache = parse.GetValue(teacherCache),
            };
            var writer = parse.InvocationConfiguration.Output;
            bool interactive = ReferenceEquals(writer, System.Console.Out) && !System.Console.IsOutputRedirected;
            writer.WriteLine($"distill {options.Student} from {string.Join(" + ", options.Teachers.Select(t => t.Contains(':') ? t : Path.GetFileName(t)))} on {options.Dataset}: {options.Epochs} epochs, loss {LossRegistry.Compose(options.Loss, options.LossOptions)}");
            using var result = DistillTrainer.Run(options, new ConsoleProgressHost(writer, interactive));
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

    private static DataResidence ParseResidence(string text) =>
        Residences.TryGetValue(text.Trim(), out var r) ? r : throw new EdgeException($"--data-on '{text}' is not one of: {string.Join(", ", Residences.Keys)}");

    private static FeaturePair ParsePair(string text)
    {
        var parts = text.Split('=', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            throw new EdgeException($"--feature '{text}' is not student-module=teacher-tensor, e.g. --feature stages.2=/layer3/layer3.1/relu_1/Relu_output_0");
        return new FeaturePair(parts[0], parts[1]);
    }

    /// <summary>models/fmnist-resnet18.onnx under the working folder, else beside the repository the tool runs from.</summary>
    public static string DefaultTeacherPath()
    {
        string local = Path.GetFullPath(DistillOptions.DefaultTeacher);
        if (File.Exists(local)) return local;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, DistillOptions.DefaultTeacher);
            if (File.Exists(candidate)) return candidate;
        }
        return local;
    }
}
