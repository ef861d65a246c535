using Edge.Core.Data;
using Edge.Core.Evaluation;
using Edge.Core.Preprocessing;

namespace Edge.Core.Gate;

/// <summary>Everything one gate run needs; built by the CLI from flags and a config file, or by the quickstart.</summary>
public sealed record GateOptions
{
    public required ModelSource Teacher { get; init; }
    /// <summary>Further teachers: with any, the reference is the ensemble of all of them (mean of their probabilities),
    /// each member evaluated with its own preprocessing and its classes matched by label.</summary>
    public IReadOnlyList<ModelSource> MoreTeachers { get; init; } = [];
    /// <summary>Model kinds outside Core by scheme (<c>torch:</c> → a TorchSharp runner), supplied by the caller.</summary>
    public IReadOnlyDictionary<string, Func<ModelSource, IModelRunner>> Schemes { get; init; } = new Dictionary<string, Func<ModelSource, IModelRunner>>();
    public required IReadOnlyList<ModelSource> Candidates { get; init; }

    /// <summary>A dataset path for <see cref="Data.DatasetFactory"/> ("fashion-mnist", an IDX folder, an image folder).</summary>
    public DatasetSource Dataset { get; init; } = "fashion-mnist";
    public string Split { get; init; } = "test";

    /// <summary>Evaluate a seeded random subset of this many images (null: all).</summary>
    public int? Samples { get; init; }
    public int SubsetSeed { get; init; }

    /// <summary>Ignore the dataset's labels: candidates are compared with the teacher only.</summary>
    public bool Unlabeled { get; init; }

    /// <summary>A previous run's gate.json (the last released model's) for the drop-vs-baseline rule.</summary>
    public string? Baseline { get; init; }

    /// <summary>Which candidate of the baseline report is the baseline (default: its only/first candidate).</summary>
    public string? BaselineModel { get; init; }

    public GateThresholds Thresholds { get; init; } = new();

    /// <summary>Rule names to run (default: every rule in <see cref="GateRuleRegistry"/>).</summary>
    public IReadOnlyList<string>? Rules { get; init; }

    public int BootstrapResamples { get; init; } = 1000;
    public int Seed { get; init; } = 1234;

    /// <summary>Batch size, latency sampling, and an optional <see cref="LogitCache"/> shared across runs.</summary>
    public EvaluatorOptions Evaluation { get; init; } = new();

    /// <summary>ONNX Runtime intra-op threads per model (0: one per core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Preprocessing for a teacher that has no manifest (candidates without one use the teacher's).</summary>
    public PreprocessSpec? TeacherPreprocess { get; init; }

    /// <summary>Per-call timeout for remote (KServe) models.</summary>
    public TimeSpan RemoteTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
