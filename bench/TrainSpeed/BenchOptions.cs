using System.Globalization;
using Edge.Core;
using Edge.Distill.Models;
using Edge.Distill.Training;

namespace Edge.Bench.TrainSpeed;

/// <summary>A student to measure: a registry preset and the config it is built with.</summary>
public sealed record StudentSpec(string Name, TinyVitConfig Config)
{
    public static StudentSpec Preset(string name) => new(name, StudentRegistry.DefaultConfig(name) as TinyVitConfig
        ?? throw new ArgumentException($"{name} is not a TinyViT preset: the PyTorch twin in this bench is TinyViT only"));

    /// <summary>The earlier <c>--sizes</c> flag: 32 is tinyvit-5m-32; other sizes the 5M ImageNet layout at that size,
    /// 1 channel, 10 classes.</summary>
    public static StudentSpec Size(int size) => size == 32
        ? Preset("tinyvit-5m-32")
        : new("tinyvit-5m", TinyVitPresets.TinyVit5M with { ImageSize = size, InChannels = 1, NumClasses = 10 });
}

/// <summary>Options of one benchmark run (see <see cref="Parse"/> for the flags).</summary>
public sealed record BenchOptions
{
    /// <summary>Student presets (<see cref="StudentRegistry"/>); PyTorch runs beside Edge for the TinyViT ones.</summary>
    public IReadOnlyList<StudentSpec> Students { get; init; } = [StudentSpec.Preset("tinyvit-quick-32")];
    public string Device { get; init; } = "cpu";
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;
    /// <summary>The quickstart's batch and a small one where per-op overhead dominates.</summary>
    public int[] Batches { get; init; } = [128, 8];
    /// <summary>Intra-op threads for both frameworks; 0: the machine's core count.</summary>
    public int Threads { get; init; }
    /// <summary>Interleaved rounds per (student, batch): Edge, PyTorch, Edge, PyTorch, ...</summary>
    public int Rounds { get; init; } = 5;
    /// <summary>Images per timed round (steps = images / batch, at least <see cref="MinSteps"/>).</summary>
    public int ImagesPerRound { get; init; } = 1280;
    /// <summary>Timed steps per round, replacing <see cref="ImagesPerRound"/> when given.</summary>
    public int? FixedSteps { get; init; }
    public int MinSteps { get; init; } = 10;
    /// <summary>Untimed steps before each round.</summary>
    public int Warmup { get; init; } = 2;
    /// <summary>Optimizers the Edge side runs, each its own series: the trainer's (<c>trainer</c>) and TorchSharp's
    /// per-parameter AdamW (<c>torchsharp</c>), to show what the trainer's one changes.</summary>
    public string[] Optimizers { get; init; } = ["trainer"];
    public string Python { get; init; } = "/usr/bin/python3";
    /// <summary>Environment of the PyTorch process (<c>--python-env NAME=VALUE;NAME=VALUE</c>), e.g. LD_LIBRARY_PATH to an
    /// optimised BLAS (openblas.sh): Debian's python3-torch links the reference BLAS otherwise.</summary>
    public IReadOnlyDictionary<string, string> PythonEnv { get; init; } = new Dictionary<string, string>();
    private bool RoundsGiven { get; init; }
    public bool SkipPython { get; init; }
    /// <summary>Also time each step's phases (forward + loss, backward, clipping, optimizer step) on both sides.</summary>
    public bool Breakdown { get; init; }
    public string? Json { get; init; }

    private static readonly Dictionary<string, Func<BenchOptions, string, BenchOptions>> Flags = new()
    {
        ["--students"] = (o, v) => o with { Students = [.. v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(StudentSpec.Preset)] },
        // A config file laid over every student's preset, as `edge distill --student-config`.
        ["--student-config"] = (o, v) => o with { Students = [.. o.Students.Select(s => s with { Config = TinyVitConfig.FromFile(v, s.Config) })] },
        // The earlier single-round flags, so the GPU commands already in docs/BENCHMARKS.md run unchanged.
        ["--sizes"] = (o, v) => o with { Students = [.. v.Split(',').Select(s => StudentSpec.Size(Int(s, "--sizes")))] },
        ["--batch"] = (o, v) => o with { Batches = [Int(v, "--batch")] },
        ["--steps"] = (o, v) => o with { FixedSteps = Int(v, "--steps"), Rounds = o.RoundsGiven ? o.Rounds : 1 },
        ["--device"] = (o, v) => o with { Device = v },
        ["--precision"] = (o, v) => o with { Precision = TrainingPrecisions.Parse(v) },
        ["--batches"] = (o, v) => o with { Batches = [.. v.Split(',').Select(s => Int(s, "--batches"))] },
        ["--threads"] = (o, v) => o with { Threads = Int(v, "--threads") },
        ["--rounds"] = (o, v) => o with { Rounds = Int(v, "--rounds"), RoundsGiven = true },
        ["--images"] = (o, v) => o with { ImagesPerRound = Int(v, "--images") },
        ["--min-steps"] = (o, v) => o with { MinSteps = Int(v, "--min-steps") },
        ["--warmup"] = (o, v) => o with { Warmup = Int(v, "--warmup") },
        ["--optimizers"] = (o, v) => o with { Optimizers = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
        ["--python"] = (o, v) => o with { Python = v },
        ["--python-env"] = (o, v) => o with { PythonEnv = v.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2)).ToDictionary(
            kv => kv[0], kv => kv.Length == 2 ? kv[1] : throw new EdgeException($"--python-env wants NAME=VALUE pairs separated by ';', got '{string.Join("=", kv)}'")) },
        ["--json"] = (o, v) => o with { Json = v },
    };

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--no-python") { o = o with { SkipPython = true }; continue; }
            if (args[i] == "--breakdown") { o = o with { Breakdown = true }; continue; }
            if (!Flags.TryGetValue(args[i], out var set) || i + 1 >= args.Length)
                throw new EdgeException($"unknown or incomplete option '{args[i]}'; known: {string.Join(", ", Flags.Keys)}, --no-python, --breakdown");
            o = set(o, args[++i]);
        }
        if (o.Rounds < 1 || o.MinSteps < 1 || o.Warmup < 0 || o.Batches.Any(b => b < 2) || o.Threads < 0 || o.ImagesPerRound < 1)
            throw new EdgeException("--rounds ≥ 1, --min-steps ≥ 1, --warmup ≥ 0, --threads ≥ 0, --images ≥ 1 and every --batches value ≥ 2");
        foreach (var opt in o.Optimizers) EdgeTrainingStep.OptimizerKind(opt);
        return o;
    }

    public int Steps(int batch) => FixedSteps ?? Math.Max(MinSteps, (ImagesPerRound + batch - 1) / batch);

    private static int Int(string s, string flag) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw new EdgeException($"{flag} wants a whole number, got '{s}'");
}
