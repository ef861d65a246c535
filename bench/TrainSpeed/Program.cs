using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Edge.Core;
using Edge.Core.IO;
using Edge.Distill.Device;
using Edge.Distill.Models;
using Edge.Distill.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Bench.TrainSpeed;

/// <summary>Options of one benchmark run (see <see cref="Parse"/> for the flags).</summary>
public sealed record BenchOptions
{
    public string Device { get; init; } = "cpu";
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;
    public int[] Sizes { get; init; } = [32, 224];
    public int Batch { get; init; } = 128;
    public int Steps { get; init; } = 50;
    public int Warmup { get; init; } = 5;
    public string Python { get; init; } = "python3";
    public bool SkipPython { get; init; }
    public string? Json { get; init; }

    private static readonly Dictionary<string, Func<BenchOptions, string, BenchOptions>> Flags = new()
    {
        ["--device"] = (o, v) => o with { Device = v },
        ["--precision"] = (o, v) => o with { Precision = TrainingPrecisions.Parse(v) },
        ["--sizes"] = (o, v) => o with { Sizes = [.. v.Split(',').Select(s => Int(s, "--sizes"))] },
        ["--batch"] = (o, v) => o with { Batch = Int(v, "--batch") },
        ["--steps"] = (o, v) => o with { Steps = Int(v, "--steps") },
        ["--warmup"] = (o, v) => o with { Warmup = Int(v, "--warmup") },
        ["--python"] = (o, v) => o with { Python = v },
        ["--json"] = (o, v) => o with { Json = v },
    };

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--no-python") { o = o with { SkipPython = true }; continue; }
            if (!Flags.TryGetValue(args[i], out var set) || i + 1 >= args.Length)
                throw new EdgeException($"unknown or incomplete option '{args[i]}'; known: {string.Join(", ", Flags.Keys)}, --no-python");
            o = set(o, args[++i]);
        }
        if (o.Steps < 1 || o.Warmup < 0 || o.Batch < 2) throw new EdgeException("--steps ≥ 1, --warmup ≥ 0 and --batch ≥ 2");
        return o;
    }

    private static int Int(string s, string flag) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw new EdgeException($"{flag} wants a whole number, got '{s}'");
}

public sealed record Measurement(string Framework, int Size, string Precision, string Device, int Batch, int Steps, double ImagesPerSecond, double FinalLoss, string? Note);

/// <summary>
/// Trains TinyViT-5M (1 input channel, 10 classes; the 32×32 preset with windows 8/4/2/1, or the ImageNet layout at
/// 224×224) on synthetic data resident on the device, with the trainer's objective shape (KD against fixed teacher
/// logits + 0.5·CE, AdamW, clipping) and its mixed-precision step, then runs train_speed.py for PyTorch/timm.
/// Teacher logits are precomputed in both frameworks (Edge caches them), so both time the student only.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            var o = BenchOptions.Parse(args);
            var device = TorchDevices.Resolve(o.Device);
            var results = new List<Measurement>();
            foreach (int size in o.Sizes)
            {
                var config = Config(size);
                results.Add(MeasureEdge(o, config, device));
                Console.WriteLine(Row(results[^1]));
                var py = o.SkipPython ? Skipped(o, size, "--no-python") : MeasurePyTorch(o, config);
                results.Add(py);
                Console.WriteLine(Row(py));
            }
            Console.WriteLine();
            foreach (var g in results.GroupBy(r => r.Size))
            {
                var edge = g.First(r => r.Framework == "edge");
                var torchRun = g.First(r => r.Framework == "pytorch");
                Console.WriteLine(torchRun.ImagesPerSecond > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{g.Key}x{g.Key} {edge.Precision}: Edge / PyTorch = {edge.ImagesPerSecond / torchRun.ImagesPerSecond:F2}x")
                    : $"{g.Key}x{g.Key} {edge.Precision}: PyTorch not measured ({torchRun.Note})");
            }
            if (o.Json is not null) JsonFiles.Write(o.Json, results);
            return 0;
        }
        catch (EdgeException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    public static TinyVitConfig Config(int size) => size == 32
        ? TinyVitPresets.TinyVit5M32
        : TinyVitPresets.TinyVit5M with { ImageSize = size, InChannels = 1, NumClasses = 10 };

    private static Measurement MeasureEdge(BenchOptions o, TinyVitConfig config, torch.Device device)
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(0);
        var model = new TinyVit(config);
        model.to(device);
        model.train();
        using var mp = new MixedPrecision(o.Precision, model, []);
        var parameters = model.named_parameters().Select(p => mp.OptimizerParameter(p.name, p.parameter)).ToArray();
        using var optimizer = torch.optim.AdamW(parameters, lr: 1e-3, weight_decay: 0.05);
        int pool = 4;
        var images = randn([pool * o.Batch, config.InChannels, config.ImageSize, config.ImageSize], device: device);
        var labels = randint(0, config.NumClasses, [pool * o.Batch], device: device);
        var teacher = randn([pool * o.Batch, config.NumClasses], device: device) * 3;
        using var meter = new LossMeter(device, int.MaxValue);
        var clock = new Stopwatch();
        double loss = double.NaN;
        for (int step = 0; step < o.Warmup + o.Steps; step++)
        {
            if (step == o.Warmup) { loss = Sync(meter, device); clock.Start(); }
            using var stepScope = NewDisposeScope();
            long start = step % pool * o.Batch;
            var x = images.narrow(0, start, o.Batch);
            optimizer.zero_grad();
            var logits = model.call(x);
            const double T = 4.0;
            var kd = nn.functional.kl_div(nn.functional.log_softmax(logits / T, 1), nn.functional.log_softmax(teacher.narrow(0, start, o.Batch) / T, 1),
                reduction: nn.Reduction.Sum, log_target: true) * (T * T / o.Batch); // batchmean: TorchSharp has Sum only
            var total = kd + 0.5 * nn.functional.cross_entropy(logits, labels.narrow(0, start, o.Batch));
            if (mp.Step(total, optimizer, clipNorm: 5.0)) meter.Add(total, o.Batch);
        }
        loss = Sync(meter, device);
        clock.Stop();
        return new Measurement("edge", config.ImageSize, TrainingPrecisions.Name(o.Precision), device.ToString(), o.Batch, o.Steps,
            o.Steps * o.Batch / clock.Elapsed.TotalSeconds, loss, null);
    }

    /// <summary>Reading the loss waits for the device, so the clock starts and stops on finished work.</summary>
    private static double Sync(LossMeter meter, torch.Device device)
    {
        if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
        return meter.Read(0, 0, 0);
    }

    private static Measurement MeasurePyTorch(BenchOptions o, TinyVitConfig c)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "train_speed.py");
        var start = new ProcessStartInfo(o.Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, "--device", o.Device, "--precision", TrainingPrecisions.Name(o.Precision),
                     "--size", c.ImageSize.ToString(CultureInfo.InvariantCulture), "--batch", o.Batch.ToString(CultureInfo.InvariantCulture),
                     "--steps", o.Steps.ToString(CultureInfo.InvariantCulture), "--warmup", o.Warmup.ToString(CultureInfo.InvariantCulture),
                     "--dims", string.Join(",", c.EmbedDims), "--depths", string.Join(",", c.Depths), "--heads", string.Join(",", c.NumHeads),
                     "--windows", string.Join(",", c.WindowSizes), "--in-chans", c.InChannels.ToString(CultureInfo.InvariantCulture),
                     "--classes", c.NumClasses.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        Process? p;
        try { p = Process.Start(start); }
        catch (System.ComponentModel.Win32Exception e) { return Skipped(o, c.ImageSize, $"{o.Python} not runnable: {e.Message}"); }
        if (p is null) return Skipped(o, c.ImageSize, $"{o.Python} did not start");
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            var line = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
            if (line is null) return Skipped(o, c.ImageSize, $"train_speed.py printed no result (exit {p.ExitCode}): {stderr.Result.Trim().Split('\n').LastOrDefault()}");
            using var doc = JsonDocument.Parse(line);
            var r = doc.RootElement;
            if (r.TryGetProperty("skipped", out var why)) return Skipped(o, c.ImageSize, why.GetString());
            return new Measurement("pytorch", c.ImageSize, TrainingPrecisions.Name(o.Precision), o.Device, o.Batch, o.Steps,
                r.GetProperty("images_per_second").GetDouble(), r.GetProperty("final_loss").GetDouble(), r.GetProperty("versions").GetString());
        }
    }

    private static Measurement Skipped(BenchOptions o, int size, string? why) =>
        new("pytorch", size, TrainingPrecisions.Name(o.Precision), o.Device, o.Batch, 0, 0, double.NaN, why);

    private static string Row(Measurement m) => m.ImagesPerSecond > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{m.Framework,-8} {m.Size,3}x{m.Size,-3} {m.Precision,-4} {m.Device,-7} batch {m.Batch,4}: {m.ImagesPerSecond,9:F1} img/s  (loss {m.FinalLoss:F3}){(m.Note is null ? "" : "  " + m.Note)}")
        : $"{m.Framework,-8} {m.Size,3}x{m.Size,-3} {m.Precision,-4} {m.Device,-7}: skipped — {m.Note}";
}
