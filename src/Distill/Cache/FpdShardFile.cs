using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Edge.Core;
using Edge.Core.IO;

namespace Edge.Distill.Cache;

/// <summary>
/// One epoch of one shard of a teacher cache: for each covered image (sorted by dataset index) the augmentation
/// seed, the teacher's top-k class ids and their softmax probabilities — TinyViT's record (int32 + int16[k] +
/// float16[k]).
/// Layout (little-endian): "EFPD", int32 format, int32 epoch, int32 shard, int32 records, int32 header length,
/// header JSON (UTF-8), index int32[records], records, SHA-256 of everything before it. The length follows from the
/// header, so truncation and trailing garbage are told apart from bit rot (checksum).
/// </summary>
public sealed class FpdShardFile
{
    private static readonly byte[] Magic = "EFPD"u8.ToArray();
    private const int FixedPrefix = 4 + 5 * 4;

    public required FpdCacheHeader Header { get; init; }
    public required int Epoch { get; init; }
    public required int Shard { get; init; }
    public required int[] Indices { get; init; }
    public required int[] Seeds { get; init; }
    /// <summary>[records, k] class ids, descending probability.</summary>
    public required short[] Ids { get; init; }
    /// <summary>[records, k] probabilities.</summary>
    public required Half[] Probs { get; init; }

    public int Records => Indices.Length;

    public static string FileName(int epoch, int shard, int shards) =>
        shards == 1 ? $"epoch-{epoch:D3}.fpd" : $"epoch-{epoch:D3}.shard-{shard}of{shards}.fpd";

    public void Write(string path)
    {
        int k = Header.TopK;
        var json = JsonSerializer.SerializeToUtf8Bytes(Header, JsonFiles.Options);
        using var buffer = new MemoryStream(FixedPrefix + json.Length + Records * (8 + 4 * k) + 32);
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic); w.Write(FpdCacheHeader.CurrentFormat); w.Write(Epoch); w.Write(Shard); w.Write(Records); w.Write(json.Length);
            w.Write(json);
            foreach (int i in Indices) w.Write(i);
            for (int r = 0; r < Records; r++)
            {
                w.Write(Seeds[r]);
                for (int j = 0; j < k; j++) w.Write(Ids[r * k + j]);
                for (int j = 0; j < k; j++) w.Write(Probs[r * k + j]);
            }
        }
        var hash = SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        buffer.Write(hash);
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Reads and verifies a file; any damage is an <see cref="EdgeException"/> naming it.</summary>
    public static FpdShardFile Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new EdgeException($"cannot read teacher cache file {path}: {e.Message}"); }
        string Damaged(string what) => $"teacher cache file {path} {what}; delete it and regenerate that epoch/shard with `edge distill cache`";
        bool magicOk = bytes.Length < 4 ? Magic.AsSpan(0, bytes.Length).SequenceEqual(bytes) : bytes.AsSpan(0, 4).SequenceEqual(Magic);
        if (!magicOk) throw new EdgeException(Damaged("is not a teacher cache (bad magic)"));
        if (bytes.Length < FixedPrefix) throw new EdgeException(Damaged($"is truncated ({bytes.Length} bytes)"));
        int format = BitConverter.ToInt32(bytes, 4), epoch = BitConverter.ToInt32(bytes, 8), shard = BitConverter.ToInt32(bytes, 12);
        int records = BitConverter.ToInt32(bytes, 16), jsonLength = BitConverter.ToInt32(bytes, 20);
        if (format != FpdCacheHeader.CurrentFormat)
            throw new EdgeException(Damaged($"has format {format}; this build reads format {FpdCacheHeader.CurrentFormat}"));
        if (records < 0 || jsonLength <= 0 || jsonLength > bytes.Length)
            throw new EdgeException(bytes.Length - FixedPrefix < jsonLength ? Damaged($"is truncated ({bytes.Length} bytes)") : Damaged("is corrupt (bad record or header length)"));
        FpdCacheHeader header;
        try { header = JsonSerializer.Deserialize<FpdCacheHeader>(bytes.AsSpan(FixedPrefix, jsonLength), JsonFiles.Options)!; }
        catch (JsonException) { throw new EdgeException(Damaged("is corrupt (unreadable header)")); }
        int k = header.TopK;
        long expected = FixedPrefix + jsonLength + (long)records * (8 + 4L * k) + 32;
        if (bytes.Length < expected) throw new EdgeException(Damaged($"is truncated ({bytes.Length} of {expected} bytes)"));
        if (bytes.Length > expected) throw new EdgeException(Damaged($"is corrupt ({bytes.Length - expected} unexpected trailing bytes)"));
        var body = bytes.AsSpan(0, (int)expected - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan((int)expected - 32)))
            throw new EdgeException(Damaged("is corrupt (SHA-256 checksum mismatch)"));

        var indices = new int[records];
        var seeds = new int[records];
        var ids = new short[records * k];
        var probs = new Half[records * k];
        int o = FixedPrefix + jsonLength;
        for (int r = 0; r < records; r++, o += 4) indices[r] = BitConverter.ToInt32(bytes, o);
        for (int r = 0; r < records; r++)
        {
            seeds[r] = BitConverter.ToInt32(bytes, o); o += 4;
            for (int j = 0; j < k; j++, o += 2) ids[r * k + j] = BitConverter.ToInt16(bytes, o);
            for (int j = 0; j < k; j++, o += 2) probs[r * k + j] = BitConverter.ToHalf(bytes, o);
        }
        return new FpdShardFile { Header = header, Epoch = epoch, Shard = shard, Indices = indices, Seeds = seeds, Ids = ids, Probs = probs };
    }
}
