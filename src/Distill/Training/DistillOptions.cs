using System.Text.Json.Serialization;
using Edge.Core;
using Edge.Core.Data;
using Edge.Core.Preprocessing;
using Edge.Distill.Augment;
using Edge.Distill.Data;
using Edge.Distill.Losses;
using Edge.Distill.Models;
using Edge.Distill.Teachers;

namespace Edge.Distill.Training;

/// <summary>How the teacher's targets are produced during training.</summary>
public enum TeacherMode
{
    /// <summary>Teacher logits computed once per (image, view) before training and reused every epoch (fast).</summary>
    Cached,
    /// <summary>The teacher runs on every augmented batch (needed for teacher features; slow on CPU).</summary>
    Online,
}

/// <summary>
/// Everything one distillation run needs. Defaults are the quickstart's CPU recipe. A recipe file
/// (<see cref="DistillRecipe"/>) holds any subset of these fields in snake_case; the run writes the whole record,
/// resolved, into its folder (<see cref="DistillRecord"/>), and that record is what resume, export and packages read.
/// </summary>
public sealed record DistillOptions
{
    public const string DefaultTeacher = "models/fmnist-resnet18.onnx";

    /// <summary>Run folder: checkpoint, metrics.jsonl, curves, final weights.</summary>
    public required string OutputDir { get; init; }

    /// <summary>Student preset name in <see cref="StudentRegistry"/>.</summary>
    public string Student { get; init; } = "tinyvit-quick-32";

    /// <summary>Replaces the preset's config when given (its class count is set to the teacher's, its input to the
    /// student's preprocessing). Recorded in the run's <see cref="StudentRecord"/>, not here.</summary>
    [JsonIgnore] public StudentConfig? StudentConfig { get; init; }

    /// <summary>The student's own preprocessing, field by field over the default (the teacher's spec, at the preset's
    /// native size where the teacher's does not fit the preset); see <see cref="StudentPreprocess"/>.</summary>
    public StudentInput StudentInput { get; init; } = new();

    /// <summary>One teacher, or several averaged as an ensemble; each a spec of <see cref="TeacherRegistry"/>
    /// (a package folder, <c>model.onnx</c> with its manifest beside it, <c>torch:runs/x</c>,
    /// <c>grpc://host:port/model,manifest=PATH</c>). Each teacher is fed with its own manifest's preprocessing.</summary>
    public IReadOnlyList<string> Teachers { get; init; } = [DefaultTeacher];

    /// <summary>A built-in dataset name or a folder, with its labels and split (see <see cref="DatasetSource"/>).</summary>
    public DatasetSource Dataset { get; init; } = "fashion-mnist";

    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 128;
    public double LearningRate { get; init; } = 2e-3;
    public double MinLearningRate { get; init; } = 1e-5;
    /// <summary>AdamW decoupled weight decay on weight matrices and kernels (not on norms, biases, attention biases).</summary>
    public double WeightDecay { get; init; } = 0.05;
    /// <summary>Linear warm-up length in epochs (fractions allowed), then cosine decay to <see cref="MinLearningRate"/>.</summary>
    public double WarmupEpochs { get; init; } = 0.25;
    /// <summary>Gradient clipping by global L2 norm; 0 disables it.</summary>
    public double ClipNorm { get; init; } = 5.0;
    public int Seed { get; init; }

    /// <summary>The objective as (loss name, weight) terms: <c>kd=1,ce=0.5</c>.</summary>
    public IReadOnlyList<LossWeight> Loss { get; init; } = [new("kd", 1.0), new("ce", 0.5)];
    public LossOptions LossOptions { get; init; } = new();

    /// <summary>Horizontal flip during training.</summary>
    public bool Flip { get; init; } = true;
    /// <summary>Random translation of up to ± this many pixels.</summary>
    public int MaxShift { get; init; } = 3;
    /// <summary>The augmentation config (<c>--augment flip,translate=3,rrc=0.6,mixup=0.8</c>), applied once per sample
    /// to its decoded image (in the image's own pixels) before each model takes its view; null: <see cref="Flip"/> +
    /// <see cref="MaxShift"/>, i.e. <see cref="AugmentConfig.Default"/>.</summary>
    [JsonConverter(typeof(AugmentConfigJson))] public AugmentConfig? Augment { get; init; }

    /// <summary>A TinyViT fast-pretraining cache folder (<c>edge distill cache</c>): teacher targets and augmentation
    /// seeds are replayed from it and the teacher never runs on training images.</summary>
    public string? TeacherCache { get; init; }

    public TeacherMode TeacherMode { get; init; } = TeacherMode.Cached;
    /// <summary>Cached mode: also run the teacher on the flipped view (2 teacher passes per image instead of 1).</summary>
    public bool TeacherFlipViews { get; init; }
    /// <summary>Cached mode: only this many training images (a seeded random subset) get teacher targets; the
    /// others train on the label losses only. Null or 0: all. Bounds the teacher's cost on a slow CPU: the default
    /// ResNet-18 teacher runs at ~150-200 img/s on two cores, so all 60k Fashion-MNIST images would cost 5-7 min.</summary>
    public int? TeacherSamples { get; init; } = 20_000;

    /// <summary>Use only the first N training images (seeded subset); null: all.</summary>
    public int? TrainSamples { get; init; }
    /// <summary>Evaluate on the first N test images; null: all.</summary>
    public int? TestSamples { get; init; }
    /// <summary>Test images (seeded subset) on which agreement with the teacher is measured each epoch.</summary>
    public int AgreementSamples { get; init; } = 2000;

    /// <summary>Torch intra-op threads; 0 keeps TorchSharp's default (all cores).</summary>
    public int Threads { get; init; }
    /// <summary>"cpu" or "cuda" / "cuda:N".</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Number format of the student's forward/backward (bf16/fp16 keep float32 master weights; see <see cref="MixedPrecision"/>).</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Fp32;
    /// <summary>Where the training split lives (see <see cref="Edge.Distill.Data.DataResidence"/>); Auto: on a GPU when it fits.</summary>
    public Edge.Distill.Data.DataResidence DataResidence { get; init; } = Edge.Distill.Data.DataResidence.Auto;
    /// <summary>Decoded images held in memory or streamed (<see cref="DataMemory"/>); Auto: in memory when they fit
    /// <see cref="MemoryBudgetMb"/>.</summary>
    public DataMemory DataMemory { get; init; } = DataMemory.Auto;
    /// <summary>Largest decoded training split held in memory under <see cref="DataMemory.Auto"/>, in MiB.</summary>
    public long MemoryBudgetMb { get; init; } = 2048;
    /// <summary>Threads that decode, augment and preprocess batches; 0: one per core. Batches do not depend on it.</summary>
    public int Workers { get; init; }
    /// <summary>Batches built ahead of the one training (the streaming loader's queue depth).</summary>
    public int Prefetch { get; init; } = 2;
    /// <summary>The running loss is read from the device (a sync) every this many steps and at each epoch's end.</summary>
    public int LossReadEvery { get; init; } = 50;
    /// <summary>Continue from the run folder's last completed epoch.</summary>
    public bool Resume { get; init; }
    /// <summary>How a grpc:// teacher is called (request size, requests in flight, retries).</summary>
    public RemoteTeacherOptions RemoteTeacher { get; init; } = new();

    /// <summary>Layer-wise LR decay for fine-tuning (see <see cref="LayerDecay"/>), e.g. 0.75; null: off.</summary>
    public double? LayerDecay { get; init; }
    /// <summary>EMA of the weights with this decay (see <see cref="EmaWeights"/>), e.g. 0.9998; null: off. When on,
    /// each epoch evaluates the EMA model and the final weights are the EMA's.</summary>
    public double? Ema { get; init; }
    /// <summary>EMA decay warm-up min(d, (1 + t) / (10 + t)).</summary>
    public bool EmaWarmup { get; init; } = true;
    /// <summary>Start from these weights (a run folder or a weights file, see <see cref="SavedStudent"/>) instead of a
    /// random initialisation: fine-tuning.</summary>
    public string? Init { get; init; }

    /// <summary>Write PNG curves after each epoch.</summary>
    public bool Plots { get; init; } = true;

    public void Validate()
    {
        if (Epochs < 1) throw new EdgeException($"--epochs must be at least 1, got {Epochs}");
        if (BatchSize < 2) throw new EdgeException($"--batch-size must be at least 2, got {BatchSize}");
        if (!(LearningRate > 0)) throw new EdgeException($"--lr must be positive, got {LearningRate}");
        if (!(WeightDecay >= 0)) throw new EdgeException($"--weight-decay must be non-negative, got {WeightDecay}");
        if (!(WarmupEpochs >= 0)) throw new EdgeException($"--warmup-epochs must be non-negative, got {WarmupEpochs}");
        if (!(ClipNorm >= 0)) throw new EdgeException($"--clip must be non-negative (0 disables it), got {ClipNorm}");
        if (MaxShift < 0) throw new EdgeException($"--shift must be non-negative, got {MaxShift}");
        if (Teachers.Count == 0) throw new EdgeException("no teacher given: pass --teacher model.onnx (or torch:RUN, grpc://host:port/model)");
        if (LayerDecay is { } ld && !(ld > 0 && ld <= 1)) throw new EdgeException($"--layer-decay must be in (0, 1], got {ld}");
        if (Ema is { } ema && !(ema > 0 && ema < 1)) throw new EdgeException($"--ema must be in (0, 1), e.g. 0.9998; got {ema}");
        if (Init is not null && !Directory.Exists(Init) && !File.Exists(Init)) throw new EdgeException($"--init {Init}: no run folder or weights file there");
        RemoteTeacher.Validate();
        if (TeacherCache is not null && TeacherMode == TeacherMode.Online)
            throw new EdgeException("--teacher-cache replays stored teacher targets; it cannot be combined with --online-teacher");
        if (TeacherSamples is < 0) throw new EdgeException($"--teacher-samples must be non-negative, got {TeacherSamples}");
        if (TrainSamples is < 1) throw new EdgeException($"--train-samples must be at least 1, got {TrainSamples}");
        if (LossReadEvery < 1) throw new EdgeException($"the loss read interval must be at least 1 step, got {LossReadEvery}");
        if (TestSamples is < 1) throw new EdgeException($"--test-samples must be at least 1, got {TestSamples}");
        if (MemoryBudgetMb < 1) throw new EdgeException($"--memory-budget must be positive, got {MemoryBudgetMb} MiB");
        if (Workers < 0) throw new EdgeException($"--workers must be 0 (one per core) or more, got {Workers}");
        if (Prefetch < 1) throw new EdgeException($"--prefetch must be at least 1 batch, got {Prefetch}");
        Dataset.Validate();
        StudentInput.Validate();
    }

    /// <summary>Fields that change how fast a run goes or where it writes, not what it computes: left out of the
    /// resume fingerprint, so a run resumes with other threads, workers or memory settings.</summary>
    public DistillOptions WithoutRuntimeSettings() => this with
    {
        OutputDir = "", Resume = false, Threads = 0, Plots = true, Device = "", DataResidence = Edge.Distill.Data.DataResidence.Auto,
        LossReadEvery = 50, DataMemory = DataMemory.Auto, MemoryBudgetMb = 0, Workers = 0, Prefetch = 0, RemoteTeacher = new(),
    };
}
