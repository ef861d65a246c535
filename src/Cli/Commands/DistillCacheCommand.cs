using System.CommandLine;
using System.Globalization;
using Edge.Cli.Terminal;
using Edge.Distill.Augment;
using Edge.Distill.Cache;

namespace Edge.Cli.Commands;

/// <summary>
/// <c>edge distill cache</c>: TinyViT's fast pretraining distillation cache (see <see cref="FpdCacheBuilder"/>):
/// the teacher runs once per image per epoch on the augmented image and its top-k probabilities are stored with the
/// augmentation seed; <c>edge distill --teacher-cache</c> then trains without the teacher. <c>--shard i/n</c> splits
/// the work across machines; <c>edge distill cache merge</c> (or simply copying the shard files into one folder)
/// combines them. <c>--check-cache N</c> replays N records through the teacher and exits 1 on a mismatch.
/// </summary>
public sealed class DistillCacheCommand : ICliCommand
{
    public Command Build()
    {
        var defaults = new FpdCacheOptions { OutputDir = "runs/teacher-cache" };
        var output = new Option<string>("--out", "-o") { Description = "Cache folder (one .fpd file per epoch and shard)", DefaultValueFactory = _ => defaults.OutputDir };
        var teacher = new Option<string[]>("--teacher") { Description = $"Teacher: {string.Join(" | ", Edge.Distill.Teachers.TeacherRegistry.Syntaxes)}; repeat for an ensemble. Default: models/fmnist-resnet18.onnx" };
        var data = new DatasetFlags("Training data");
        var workers = new Option<int>("--workers") { Description = "Threads that decode and augment (0: one per core)", DefaultValueFactory = _ => 0 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs of augmented views to record (training longer cycles through them)", DefaultValueFactory = _ => defaults.Epochs };
        var augment = new Option<string>("--augment") { Description = $"Per-sample augmentation to record. Known: {string.Join(", ", AugmentRegistry.Usages)} (mixup/cutmix belong to training)", DefaultValueFactory = _ => AugmentConfig.Default.ToString() };
        var topK = new Option<int>("--top-k") { Description = "Classes stored per record (TinyViT: 10)", DefaultValueFactory = _ => defaults.TopK };
        var seed = new Option<int>("--seed") { Description = "Seed of the augmentation and of the --train-samples subset (use the training run's)", DefaultValueFactory = _ => defaults.Seed };
        var trainSamples = new Option<int?>("--train-samples") { Description = "Cover the seeded subset of this many training images that `edge distill --train-samples` picks" };
        var shard = new Option<string>("--shard") { Description = "This machine's part, i/n (0-based)", DefaultValueFactory = _ => "0/1" };
        var batch = new Option<int>("--batch-size") { Description = "Teacher batch size", DefaultValueFactory = _ => defaults.BatchSize };
        var threads = new Option<int>("--threads") { Description = "Teacher CPU threads (0: all cores)", DefaultValueFactory = _ => 0 };
        var check = new Option<int>("--check-cache") { Description = "Then replay N stored records through the teacher and report the largest probability error (exit 1 over --tolerance)", DefaultValueFactory = _ => 0 };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest allowed |p_cache − p_teacher| for --check-cache", DefaultValueFactory = _ => FpdCacheCheck.DefaultTolerance };

        var command = new Command("cache", "Record teacher top-k targets on augmented images for fast distillation (TinyViT FPD)")
        {
            output, teacher, epochs, augment, topK, seed, trainSamples, shard, batch, threads, workers, check, tolerance,
        };
        foreach (var o in data.All) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var (index, count) = FpdCacheOptions.ParseShard(parse.GetValue(shard)!);
            var options = new FpdCacheOptions
            {
                OutputDir = parse.GetValue(output)!,
                Teachers = parse.GetValue(teacher) is { Length: > 0 } given ? given : [DefaultPaths.Teacher()],
                Dataset = data.Source(parse),
                Workers = parse.GetValue(workers),
                Epochs = parse.GetValue(epochs),
                Augment = AugmentConfig.Parse(parse.GetValue(augment)!),
                TopK = parse.GetValue(topK),
                Seed = parse.GetValue(seed),
                TrainSamples = parse.GetValue(trainSamples),
                ShardIndex = index,
                ShardCount = count,
                BatchSize = parse.GetValue(batch),
                Threads = parse.GetValue(threads),
            };
            var writer = parse.InvocationConfiguration.Output;
            bool interactive = ReferenceEquals(writer, System.Console.Out) && !System.Console.IsOutputRedirected;
            var report = FpdCacheBuilder.Generate(options, new ConsoleProgressHost(writer, interactive));
            var h = report.Header;
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"teacher cache {report.Folder}: shard {index}/{count} of {h.Samples} images x {h.Epochs} epochs, top-{h.TopK} of {h.Classes} classes, augment {h.Augment}; {report.Written} file(s) written ({report.Records} records, {report.TeacherSeconds:F1} s), {report.Skipped} already present"));
            int checkSamples = parse.GetValue(check);
            if (checkSamples <= 0) return 0;
            return Check(writer, options, FpdCache.Open(options.OutputDir, requireComplete: false), checkSamples, parse.GetValue(tolerance));
        });

        var inputs = new Argument<string[]>("shard-folders") { Description = "Folders holding the shard files (all shards of every epoch between them)", Arity = ArgumentArity.OneOrMore };
        var mergeOut = new Option<string>("--out", "-o") { Description = "Folder for the merged cache (one file per epoch)", Required = true };
        var merge = new Command("merge", "Combine the shards of a teacher cache made on several machines into one file per epoch") { inputs, mergeOut };
        merge.SetAction(parse =>
        {
            var merged = FpdCache.Merge(parse.GetValue(inputs)!, parse.GetValue(mergeOut)!);
            parse.InvocationConfiguration.Output.WriteLine($"merged teacher cache: {merged.Header.Samples} images x {merged.Epochs} epochs into {Path.GetFullPath(parse.GetValue(mergeOut)!)}");
            return 0;
        });
        command.Subcommands.Add(merge);
        return command;
    }

    private static int Check(TextWriter writer, FpdCacheOptions o, FpdCache cache, int samples, double tolerance)
    {
        var result = FpdCacheCheck.Run(o, cache, samples, tolerance);
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"check-cache: {result.Samples} records replayed through {cache.Header.Teacher}: max |p_cache - p_teacher| {result.MaxAbsError:0.######} (tolerance {tolerance:0.######}), top-1 mismatches {result.Top1Mismatches}: {(result.Passed ? "OK" : "FAILED")}"));
        return result.Passed ? 0 : 1;
    }
}
