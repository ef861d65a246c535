using Edge.Core;
using Edge.Core.IO;

namespace Edge.Distill.Cache;

/// <summary>
/// Teacher logits computed once per (image, view) and kept in memory — the cheap form of TinyViT's fast
/// pretraining distillation: the teacher never runs twice on the same input, and a resumed run reloads the file
/// instead of running the teacher again. View 0 is the plain image, view 1 its horizontal flip.
/// </summary>
public sealed class TeacherLogitCache
{
    private const int Magic = 0x4C434445; // "EDCL"
    private readonly float[] _logits;
    private readonly bool[] _has;

    public TeacherLogitCache(int count, int views, int classes)
    {
        if (views is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(views));
        Count = count; Views = views; Classes = classes;
        _logits = new float[(long)count * views * classes];
        _has = new bool[count * views];
    }

    public int Count { get; }
    public int Views { get; }
    public int Classes { get; }
    public int Filled => _has.Count(h => h);

    public bool Has(int index, int view) => _has[index * Views + view];

    public ReadOnlySpan<float> Get(int index, int view) => _logits.AsSpan((index * Views + view) * Classes, Classes);

    public void Set(int index, int view, ReadOnlySpan<float> logits)
    {
        logits.CopyTo(_logits.AsSpan((index * Views + view) * Classes, Classes));
        _has[index * Views + view] = true;
    }

    /// <summary>Writes the cache atomically; <paramref name="key"/> identifies teacher + data + preprocessing.</summary>
    public void Save(string path, string key)
    {
        AtomicFile.Write(path, s =>
        {
            using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(Magic); w.Write(key); w.Write(Count); w.Write(Views); w.Write(Classes);
            foreach (var h in _has) w.Write(h);
            foreach (var v in _logits) w.Write(v);
        });
    }

    /// <summary>Loads a cache written for the same key, or returns null when absent or made for something else.</summary>
    public static TeacherLogitCache? TryLoad(string path, string key, int count, int views, int classes)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var r = new BinaryReader(File.OpenRead(path));
            if (r.ReadInt32() != Magic || r.ReadString() != key) return null;
            if (r.ReadInt32() != count || r.ReadInt32() != views || r.ReadInt32() != classes) return null;
            var cache = new TeacherLogitCache(count, views, classes);
            for (int i = 0; i < cache._has.Length; i++) cache._has[i] = r.ReadBoolean();
            for (long i = 0; i < cache._logits.Length; i++) cache._logits[i] = r.ReadSingle();
            return cache;
        }
        catch (EndOfStreamException)
        {
            throw new EdgeException($"{path} is truncated; delete it and the teacher targets will be recomputed");
        }
    }
}
