using System.Security.Cryptography;

namespace Edge.Distill.Cache;

/// <summary>
/// What a fast-pretraining-distillation cache was made from; every file of a cache (each epoch, each shard) carries
/// the same header, so shards from different machines merge only when they agree on all of it. Stored as JSON inside
/// each file (see <see cref="FpdShardFile"/>).
/// </summary>
public sealed record FpdCacheHeader
{
    /// <summary>2: the teacher is identified by its members' cards (model hash, preprocessing, output kind), so a
    /// served or TorchSharp teacher has an identity too; files of format 1 hashed teacher files only.</summary>
    public const int CurrentFormat = 2;

    public int Format { get; init; } = CurrentFormat;
    /// <summary>The teacher's description, for messages.</summary>
    public required string Teacher { get; init; }
    /// <summary>The teacher's fingerprint (a hash over every member's card): the identity checked when training or checking.</summary>
    public required string TeacherSha256 { get; init; }
    public required string Dataset { get; init; }
    /// <summary>The teacher's own preprocessing (each member's, joined by " + "): what it saw of each augmented image. A
    /// student of any preprocessing replays the same images from the seeds.</summary>
    public required string Preprocess { get; init; }
    /// <summary>The per-sample augmentation config replayed from each record's seed.</summary>
    public required string Augment { get; init; }
    public required int Seed { get; init; }
    public required int Epochs { get; init; }
    public required int TopK { get; init; }
    public required int Classes { get; init; }
    /// <summary>Training images covered by the whole cache (all shards).</summary>
    public required int Samples { get; init; }
    /// <summary>SHA-256 of the sorted dataset indices of all covered images: shards must concatenate to exactly this set.</summary>
    public required string SamplesSha256 { get; init; }
    public required int Shards { get; init; }

    /// <summary>Names of the fields in which <paramref name="other"/> differs, for an error message.</summary>
    public IEnumerable<string> Differences(FpdCacheHeader other)
    {
        if (Format != other.Format) yield return $"format {Format} vs {other.Format}";
        if (TeacherSha256 != other.TeacherSha256) yield return $"teacher {Teacher} vs {other.Teacher}";
        if (Dataset != other.Dataset) yield return $"dataset '{Dataset}' vs '{other.Dataset}'";
        if (Preprocess != other.Preprocess) yield return $"preprocess '{Preprocess}' vs '{other.Preprocess}'";
        if (Augment != other.Augment) yield return $"augment '{Augment}' vs '{other.Augment}'";
        if (Seed != other.Seed) yield return $"seed {Seed} vs {other.Seed}";
        if (Epochs != other.Epochs) yield return $"epochs {Epochs} vs {other.Epochs}";
        if (TopK != other.TopK) yield return $"top-k {TopK} vs {other.TopK}";
        if (Classes != other.Classes) yield return $"classes {Classes} vs {other.Classes}";
        if (Samples != other.Samples || SamplesSha256 != other.SamplesSha256) yield return $"sample set ({Samples} vs {other.Samples} images)";
        if (Shards != other.Shards) yield return $"shard count {Shards} vs {other.Shards}";
    }

    public static string HashIndices(IReadOnlyList<int> sortedIndices)
    {
        var bytes = new byte[sortedIndices.Count * 4];
        for (int i = 0; i < sortedIndices.Count; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), sortedIndices[i]);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>The slice [start, end) of the sorted sample list that shard <paramref name="shard"/> of <paramref name="shards"/> covers.</summary>
    public static (int Start, int End) ShardRange(int samples, int shard, int shards) =>
        ((int)((long)shard * samples / shards), (int)((long)(shard + 1) * samples / shards));
}
