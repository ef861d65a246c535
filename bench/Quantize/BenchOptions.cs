namespace Edge.Bench.Quantize;

/// <summary>Command-line options of the quantizer benchmark.</summary>
internal sealed record BenchOptions
{
    public string Model { get; init; } = "/work/shared/teachers/fmnist-resnet18.onnx";
    public string Data { get; init; } = "fashion-mnist";
    /// <summary>Benchmark a freshly initialised student of this registry name instead of <see cref="Model"/>.</summary>
    public string? Student { get; init; }
    /// <summary>A config JSON laid over <see cref="Student"/>'s preset (as <c>edge distill --student-config</c>).</summary>
    public string? StudentConfig { get; init; }
    public string OutDir { get; init; } = Path.Combine(Path.GetTempPath(), "edge-bench-quantize");
    public int TestCount { get; init; } = 10000;
    public int CalibrationCount { get; init; } = 512;
    public int Threads { get; init; } = 2;
    /// <summary>ONNX Runtime's intra-op spin-wait (session.intra_op.allow_spinning); on by default, as in ONNX Runtime.</summary>
    public bool Spinning { get; init; } = true;
    public int LatencyRuns { get; init; } = 50;
    public int ThroughputRuns { get; init; } = 3;
    /// <summary>Timing rounds; each times every variant once, interleaved.</summary>
    public int Rounds { get; init; } = 8;
    /// <summary>Profile each variant (ONNX Runtime's profiler, per-op time) instead of the timing table.</summary>
    public bool Profile { get; init; }
    public string[] Variants { get; init; } = ["fp32", "qop-minmax", "qdq-minmax", "qop-percentile", "qop-entropy", "dynamic"];

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--model" => o with { Model = Next() },
                "--data" => o with { Data = Next() },
                "--student" => o with { Student = Next() },
                "--student-config" => o with { StudentConfig = Next() },
                "--out" => o with { OutDir = Next() },
                "--test-count" => o with { TestCount = int.Parse(Next()) },
                "--calibration-count" => o with { CalibrationCount = int.Parse(Next()) },
                "--threads" => o with { Threads = int.Parse(Next()) },
                "--spinning" => o with { Spinning = Next() is "1" or "on" or "true" },
                "--latency-runs" => o with { LatencyRuns = int.Parse(Next()) },
                "--throughput-runs" => o with { ThroughputRuns = int.Parse(Next()) },
                "--rounds" => o with { Rounds = int.Parse(Next()) },
                "--profile" => o with { Profile = true },
                "--variants" => o with { Variants = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
                _ => throw new ArgumentException($"unknown option {args[i]}; options: --model --student --student-config --data --out --test-count --calibration-count --threads --spinning --latency-runs --throughput-runs --rounds --variants --profile"),
            };
        }
        return o;
    }
}
