using System.Collections.Concurrent;
using Edge.Core.Preprocessing;

namespace Edge.Core.Evaluation;

/// <summary>
/// Logits already computed for (model file hash, preprocessing, dataset hash), indexed by base-dataset image, kept
/// in memory by the caller across evaluations. A gate re-run over the same teacher (CI, the no-flapping check over
/// random subsets, the quickstart's repeated gates) then costs only the models that changed. Keys are content
/// hashes, so a hit always means the same bytes through the same preprocessing. With a directory, entries also
/// persist across processes (one file per key: int32 base count, int32 classes, a presence byte per image, then
/// float32 logits), so CI computes a teacher's logits on an evaluation set once. Thread-safe.
/// </summary>
public sealed class LogitCache(string? directory = null)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new();

    /// <summary>Where entries persist; null keeps them in memory only.</summary>
    public string? Directory { get; } = directory is null ? null : Path.GetFullPath(directory);

    /// <summary>Model file, preprocessing and dataset; a non-logits output kind too, since the cache holds what
    /// <see cref="IModelRunner.Run"/> returned (log p for a probability output).</summary>
    public static string Key(string modelSha256, PreprocessSpec spec, string datasetSha256, Manifest.OutputKind kind = Manifest.OutputKind.Logits) =>
        $"{modelSha256}|{spec}|{spec.Resize}|{datasetSha256}" + (kind == Manifest.OutputKind.Logits ? "" : $"|{Manifest.OutputKinds.Name(kind)}");

    public int Count => _entries.Count;

    /// <summary>Logits [indices.Count, classes] in model order when every index is cached, else null.</summary>
    public float[]? TryGet(string key, IReadOnlyList<int> baseIndices, int classes)
    {
        var entry = _entries.TryGetValue(key, out var found) ? found : Load(key);
        if (entry is null || entry.Classes != classes) return null;
        lock (entry)
        {
            var result = new float[baseIndices.Count * classes];
            for (int i = 0; i < baseIndices.Count; i++)
            {
                int b = baseIndices[i];
                if (!entry.Present[b]) return null;
                Array.Copy(entry.Logits, (long)b * classes, result, (long)i * classes, classes);
            }
            return result;
        }
    }

    public void Put(string key, int baseCount, IReadOnlyList<int> baseIndices, int classes, float[] logits)
    {
        var entry = _entries.GetOrAdd(key, _ => new Entry(baseCount, classes));
        if (entry.Classes != classes || entry.Present.Length != baseCount) return;
        lock (entry)
        {
            for (int i = 0; i < baseIndices.Count; i++)
            {
                int b = baseIndices[i];
                Array.Copy(logits, (long)i * classes, entry.Logits, (long)b * classes, classes);
                entry.Present[b] = true;
            }
            if (Directory is not null) Save(key, entry);
        }
    }

    private string FileFor(string key) => Path.Combine(Directory!, IO.FileHash.Sha256(System.Text.Encoding.UTF8.GetBytes(key))[..32] + ".logits");

    private Entry? Load(string key)
    {
        if (Directory is null) return null;
        string path = FileFor(key);
        if (!File.Exists(path)) return null;
        try
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            int baseCount = reader.ReadInt32(), classes = reader.ReadInt32();
            var entry = new Entry(baseCount, classes);
            var present = reader.ReadBytes(baseCount);
            for (int i = 0; i < baseCount; i++) entry.Present[i] = present[i] != 0;
            var bytes = reader.ReadBytes(entry.Logits.Length * 4);
            if (bytes.Length != entry.Logits.Length * 4) return null;
            Buffer.BlockCopy(bytes, 0, entry.Logits, 0, bytes.Length);
            return _entries.GetOrAdd(key, entry);
        }
        catch (IOException)
        {
            return null; // A damaged cache file only costs a recomputation.
        }
    }

    private void Save(string key, Entry entry)
    {
        IO.AtomicFile.Write(FileFor(key), stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            writer.Write(entry.Present.Length);
            writer.Write(entry.Classes);
            writer.Write(entry.Present.Select(p => p ? (byte)1 : (byte)0).ToArray());
            var bytes = new byte[entry.Logits.Length * 4];
            Buffer.BlockCopy(entry.Logits, 0, bytes, 0, bytes.Length);
            writer.Write(bytes);
        });
    }

    private sealed class Entry(int baseCount, int classes)
    {
        public int Classes { get; } = classes;
        public bool[] Present { get; } = new bool[baseCount];
        public float[] Logits { get; } = new float[(long)baseCount * classes];
    }
}
