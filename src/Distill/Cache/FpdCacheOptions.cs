using Edge.Core;
using Edge.Core.Data;
using Edge.Distill.Augment;

namespace Edge.Distill.Cache;

/// <summary>Settings of <c>edge distill cache</c>: which teacher, data and augmentation the cache records, and which shard this machine makes.</summary>
public sealed record FpdCacheOptions
{
    public required string OutputDir { get; init; }
    public IReadOnlyList<string> Teachers { get; init; } = [Training.DistillOptions.DefaultTeacher];
    public DatasetSource Dataset { get; init; } = "fashion-mnist";
    /// <summary>Per-sample augmentation recorded in the cache (mixup/cutmix are applied at training time).</summary>
    public AugmentConfig Augment { get; init; } = AugmentConfig.Default;
    public int Seed { get; init; }
    public int Epochs { get; init; } = 1;
    /// <summary>Classes kept per record; TinyViT keeps 10 of ImageNet-1k's 1000. Capped at the class count.</summary>
    public int TopK { get; init; } = 10;
    /// <summary>Cover a seeded subset of this many training images (the same subset <c>edge distill --train-samples</c> picks with the same seed); null: all.</summary>
    public int? TrainSamples { get; init; }
    public int ShardIndex { get; init; }
    public int ShardCount { get; init; } = 1;
    public int BatchSize { get; init; } = 256;
    public int Threads { get; init; }
    /// <summary>Threads that decode and augment; 0: one per core. The records do not depend on it.</summary>
    public int Workers { get; init; }
    /// <summary>Decoded training images held in memory up to this many MiB, else streamed.</summary>
    public long MemoryBudgetMb { get; init; } = 2048;

    public void Validate()
    {
        if (Epochs < 1) throw new EdgeException($"--epochs must be at least 1, got {Epochs}");
        if (TopK < 1) throw new EdgeException($"--top-k must be at least 1, got {TopK}");
        if (BatchSize < 1) throw new EdgeException($"--batch-size must be at least 1, got {BatchSize}");
        if (TrainSamples is < 1) throw new EdgeException($"--train-samples must be at least 1, got {TrainSamples}");
        if (ShardCount < 1 || ShardIndex < 0 || ShardIndex >= ShardCount)
            throw new EdgeException($"--shard {ShardIndex}/{ShardCount} is not i/n with 0 <= i < n");
        if (Teachers.Count == 0) throw new EdgeException("no teacher given: pass --teacher model.onnx");
        if (Augment.HasBatchTerms)
            throw new EdgeException($"--augment '{Augment}': mixup/cutmix mix whole batches and are applied when training from the cache; record only per-sample augmentations here");
        Dataset.Validate();
    }

    /// <summary>Parses "i/n".</summary>
    public static (int Index, int Count) ParseShard(string text)
    {
        var parts = text.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int i) || !int.TryParse(parts[1], out int n) || n < 1 || i < 0 || i >= n)
            throw new EdgeException($"--shard '{text}' is not i/n with 0 <= i < n, e.g. --shard 0/4");
        return (i, n);
    }
}
