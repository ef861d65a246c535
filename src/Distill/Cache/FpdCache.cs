using Edge.Core;
using Edge.Core.IO;

namespace Edge.Distill.Cache;

/// <summary>
/// A fast-pretraining-distillation teacher cache read from a folder of <see cref="FpdShardFile"/>s: shards of the
/// same epoch are merged on read (they must agree on the header, and together cover every epoch and shard exactly
/// once), so shard folders copied together from several machines train directly; <see cref="Merge"/> rewrites them
/// as one file per epoch. Lookups are by dataset index.
/// </summary>
public sealed class FpdCache
{
    private readonly EpochTable[] _epochs;

    private sealed record EpochTable(int[] Indices, int[] Seeds, short[] Ids, Half[] Probs);

    private FpdCache(string folder, FpdCacheHeader header, EpochTable[] epochs)
    {
        Folder = folder; Header = header; _epochs = epochs;
    }

    public string Folder { get; }
    public FpdCacheHeader Header { get; }
    public int Epochs => Header.Epochs;
    public int Classes => Header.Classes;
    public int TopK => Header.TopK;
    /// <summary>Epochs present (all of them unless opened partial).</summary>
    public IReadOnlyList<int> PresentEpochs => [.. Enumerable.Range(1, Epochs).Where(e => _epochs[e - 1].Indices.Length > 0)];

    /// <summary>The cache epoch a training epoch replays: training longer than the cache cycles through it.</summary>
    public int CacheEpoch(int trainingEpoch) => (Math.Max(1, trainingEpoch) - 1) % Epochs + 1;

    /// <summary>Dataset indices covered in a (cache) epoch.</summary>
    public ReadOnlySpan<int> Indices(int epoch) => _epochs[epoch - 1].Indices;

    public bool Contains(int epoch, int datasetIndex) => Array.BinarySearch(_epochs[epoch - 1].Indices, datasetIndex) >= 0;

    public int Seed(int epoch, int datasetIndex) => _epochs[epoch - 1].Seeds[Row(epoch, datasetIndex)];

    /// <summary>The stored top-k (ids, probabilities) of one record.</summary>
    public (ReadOnlyMemory<short> Ids, ReadOnlyMemory<Half> Probs) Record(int epoch, int datasetIndex)
    {
        var t = _epochs[epoch - 1];
        int r = Row(epoch, datasetIndex), k = TopK;
        return (t.Ids.AsMemory(r * k, k), t.Probs.AsMemory(r * k, k));
    }

    /// <summary>The dense target TinyViT trains on: the stored top-k probabilities, the other C − k classes sharing
    /// the remaining mass equally, (1 − Σ top-k) / (C − k).</summary>
    public void Dense(int epoch, int datasetIndex, Span<float> probs)
    {
        var t = _epochs[epoch - 1];
        int r = Row(epoch, datasetIndex), k = TopK, c = Classes;
        float sum = 0;
        for (int j = 0; j < k; j++) sum += (float)t.Probs[r * k + j];
        probs[..c].Fill(k < c ? Math.Max(0f, (1 - sum) / (c - k)) : 0f);
        for (int j = 0; j < k; j++) probs[t.Ids[r * k + j]] = (float)t.Probs[r * k + j];
    }

    private int Row(int epoch, int datasetIndex)
    {
        int r = Array.BinarySearch(_epochs[epoch - 1].Indices, datasetIndex);
        if (r < 0)
            throw new EdgeException($"teacher cache {Folder} has no record for training image #{datasetIndex} in epoch {epoch} (it covers {Header.Samples} images); make the cache with the same --train-samples and --seed as the training run, or for the whole dataset");
        return r;
    }

    /// <summary>Opens every *.fpd file under <paramref name="folders"/>; <paramref name="requireComplete"/>: every
    /// epoch and shard must be there (training), else whatever is present is usable (checking one shard).</summary>
    public static FpdCache Open(IReadOnlyList<string> folders, bool requireComplete = true)
    {
        var files = new List<string>();
        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder)) throw new EdgeException($"teacher cache folder {folder} does not exist; create it with `edge distill cache --out {folder}`");
            files.AddRange(Directory.GetFiles(folder, "*.fpd").Order(StringComparer.Ordinal));
        }
        string where = string.Join(", ", folders);
        if (files.Count == 0) throw new EdgeException($"{where} holds no teacher cache files (*.fpd); create them with `edge distill cache --out {folders[0]}`");

        var shards = files.Select(f => (Path: f, File: FpdShardFile.Read(f))).ToList();
        var first = shards[0];
        var header = first.File.Header;
        var slots = new Dictionary<(int Epoch, int Shard), string>();
        foreach (var (path, file) in shards)
        {
            var diff = header.Differences(file.Header).ToList();
            if (diff.Count > 0)
                throw new EdgeException($"teacher cache file {path} does not belong with {first.Path}: {string.Join("; ", diff)}");
            if (file.Epoch < 1 || file.Epoch > header.Epochs || file.Shard < 0 || file.Shard >= header.Shards)
                throw new EdgeException($"teacher cache file {path} claims epoch {file.Epoch} shard {file.Shard} outside {header.Epochs} epochs x {header.Shards} shards");
            if (!slots.TryAdd((file.Epoch, file.Shard), path))
                throw new EdgeException($"teacher cache files {slots[(file.Epoch, file.Shard)]} and {path} both hold epoch {file.Epoch} shard {file.Shard}/{header.Shards}; keep one");
            var (start, end) = FpdCacheHeader.ShardRange(header.Samples, file.Shard, header.Shards);
            if (file.Records != end - start)
                throw new EdgeException($"teacher cache file {path} holds {file.Records} records; shard {file.Shard}/{header.Shards} of {header.Samples} images needs {end - start}");
        }
        if (requireComplete)
        {
            var missing = Enumerable.Range(1, header.Epochs).SelectMany(e => Enumerable.Range(0, header.Shards).Select(s => (e, s)))
                .Where(x => !slots.ContainsKey(x)).ToList();
            if (missing.Count > 0)
                throw new EdgeException($"teacher cache {where} is incomplete: missing {string.Join(", ", missing.Take(5).Select(m => FpdShardFile.FileName(m.e, m.s, header.Shards)))}{(missing.Count > 5 ? $" and {missing.Count - 5} more" : "")}; generate them with `edge distill cache --shard i/{header.Shards}` or copy the other machines' shard folders here");
        }

        var tables = new EpochTable[header.Epochs];
        for (int e = 1; e <= header.Epochs; e++)
        {
            var parts = shards.Where(s => s.File.Epoch == e).OrderBy(s => s.File.Shard).Select(s => s.File).ToList();
            int k = header.TopK;
            var t = new EpochTable([.. parts.SelectMany(p => p.Indices)], [.. parts.SelectMany(p => p.Seeds)], [.. parts.SelectMany(p => p.Ids)], [.. parts.SelectMany(p => p.Probs)]);
            for (int i = 1; i < t.Indices.Length; i++)
                if (t.Indices[i] <= t.Indices[i - 1])
                    throw new EdgeException($"teacher cache {where}, epoch {e}: shard indices are not sorted and disjoint (at image #{t.Indices[i]}); the shards were made with different sample sets");
            if (parts.Count == header.Shards && FpdCacheHeader.HashIndices(t.Indices) != header.SamplesSha256)
                throw new EdgeException($"teacher cache {where}, epoch {e}: the shards together do not cover the sample set their header names");
            tables[e - 1] = t;
        }
        return new FpdCache(where, header, tables);
    }

    public static FpdCache Open(string folder, bool requireComplete = true) => Open([folder], requireComplete);

    /// <summary>Combines complete shard sets from <paramref name="inputs"/> into one file per epoch under
    /// <paramref name="output"/> — byte-identical to a single-machine run with the same settings.</summary>
    public static FpdCache Merge(IReadOnlyList<string> inputs, string output)
    {
        var cache = Open(inputs, requireComplete: true);
        var header = cache.Header with { Shards = 1 };
        for (int e = 1; e <= cache.Epochs; e++)
        {
            var t = cache._epochs[e - 1];
            new FpdShardFile { Header = header, Epoch = e, Shard = 0, Indices = t.Indices, Seeds = t.Seeds, Ids = t.Ids, Probs = t.Probs }
                .Write(Path.Combine(output, FpdShardFile.FileName(e, 0, 1)));
        }
        return new FpdCache(output, header, cache._epochs);
    }
}
