namespace Edge.Cli.Quickstart;

/// <summary>What `edge quickstart` runs; the defaults fit the 15-minute budget on a 2-core CPU.</summary>
public sealed record QuickstartOptions
{
    public required string OutputDir { get; init; }
    public required string Teacher { get; init; }
    public string Student { get; init; } = "tinyvit-quick-32";
    public int Epochs { get; init; } = 6;
    /// <summary>Training images that get teacher targets (the teacher is the slow part on CPU: ~350 img/s on 2 cores).</summary>
    public int TeacherSamples { get; init; } = 30_000;
    public int BatchSize { get; init; } = 128;
    public int? TrainSamples { get; init; }
    public int Seed { get; init; }
    public int ServeImages { get; init; } = 8;
    public int ParitySamples { get; init; } = 2000;
    public int CalibrationSamples { get; init; } = 512;
}
