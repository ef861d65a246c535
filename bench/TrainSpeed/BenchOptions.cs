using System.Globalization;
using Edge.Core;
using Edge.Distill.Models;
using Edge.Distill.Training;

namespace Edge.Bench.TrainSpeed;

/// <summary>Options of one benchmark run (see <see cref="Parse"/> for the flags).</summary>
public sealed record BenchOptions
{
    /// <summary>Student presets (<see cref="StudentRegistry"/>); PyTorch runs beside Edge for the TinyViT ones.</summary>
    public string[] Students { get; init; } = ["tinyvit-quick-32"];
    /// <summary>Replaces the preset's config (JSON fields over the preset's, as <c>edge distill --student-config</c>).</summary>
    public string? StudentConfig { get; init; }
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
    public int MinSteps { get; init; } = 10;
    /// <summary>Untimed steps before each round.</summary>
    public int Warmup { get; init; } = 2;
    /// <summary>Optimizers the Edge side runs, each its own series: the trainer's (<c>trainer</c>) and TorchSharp's
    /// per-parameter AdamW (<c>torchsharp</c>), to show what the trainer's one changes.</summary>
    public string[] Optimizers { get; init; } = ["trainer"];
    public string Python { get; init; } = "/usr/bin/python3";
    public bool SkipPython { get; init; }
    public string? Json { get; init; }

    private static readonly Dictionary<string, Func<BenchOptions, string, BenchOptions>> Flags = new()
    {
        ["--students"] = (o, v) => o with { Students = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
        ["--student-config"] = (o, v) => o with { StudentConfig = v },
        ["--device"] = (o, v) => o with { Device = v },
        ["--precision"] = (o, v) => o with { Precision = TrainingPrecisions.Parse(v) },
        ["--batches"] = (o, v) => o with { Batches = [.. v.Split(',').Select(s => Int(s, "--batches"))] },
        ["--threads"] = (o, v) => o with { Threads = Int(v, "--threads") },
        ["--rounds"] = (o, v) => o with { Rounds = Int(v, "--rounds") },
        ["--images"] = (o, v) => o with { ImagesPerRound = Int(v, "--images") },
        ["--min-steps"] = (o, v) => o with { MinSteps = Int(v, "--min-steps") },
        ["--warmup"] = (o, v) => o with { Warmup = Int(v, "--warmup") },
        ["--optimizers"] = (o, v) => o with { Optimizers = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
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
        if (o.Rounds < 1 || o.MinSteps < 1 || o.Warmup < 0 || o.Batches.Any(b => b < 2) || o.Threads < 0 || o.ImagesPerRound < 1)
            throw new EdgeException("--rounds ≥ 1, --min-steps ≥ 1, --warmup ≥ 0, --threads ≥ 0, --images ≥ 1 and every --batches value ≥ 2");
        foreach (var s in o.Students) StudentRegistry.DefaultConfig(s); // unknown names fail here with the list
        foreach (var opt in o.Optimizers) EdgeTrainingStep.OptimizerKind(opt);
        return o;
    }

    public int Steps(int batch) => Math.Max(MinSteps, (ImagesPerRound + batch - 1) / batch);

    private static int Int(string s, string flag) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : throw new EdgeException($"{flag} wants a whole number, got '{s}'");
}
