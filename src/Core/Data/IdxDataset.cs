using System.IO.Compression;
using System.IO.MemoryMappedFiles;
using Edge.Core.Imaging;

namespace Edge.Core.Data;

/// <summary>
/// IDX files (MNIST / Fashion-MNIST format: big-endian header, magic 0x00000803 for uint8 images [n, h, w],
/// 0x00000801 for uint8 labels [n]), raw or gzipped. Raw files are memory-mapped; gzipped ones are first
/// unpacked once into a cache file (gzip cannot seek), so random access never holds the set in memory.
/// </summary>
public sealed class IdxDataset : IImageDataset
{
    private readonly MemoryMappedFile _imageMap, _labelMap;
    private readonly MemoryMappedViewAccessor _images, _labels;
    private readonly long _imageOffset, _labelOffset;
    private readonly int _height, _width;

    /// <param name="classNames">Null: the class indices found in the labels file, as names ("0", "1", …).</param>
    public IdxDataset(string imagesPath, string labelsPath, IReadOnlyList<string>? classNames, string description)
    {
        Description = description;
        string imagesRaw = IdxCache.Unpacked(imagesPath), labelsRaw = IdxCache.Unpacked(labelsPath);
        var imageHeader = IdxHeader.Read(imagesRaw, expectedMagic: 0x803, imagesPath);
        var labelHeader = IdxHeader.Read(labelsRaw, expectedMagic: 0x801, labelsPath);
        if (imageHeader.Dims.Length != 3)
            throw new EdgeException($"{imagesPath}: image IDX must have 3 dimensions [n, h, w], found {imageHeader.Dims.Length}");
        if (imageHeader.Dims[0] != labelHeader.Dims[0])
            throw new EdgeException($"{imagesPath} holds {imageHeader.Dims[0]} images but {labelsPath} holds {labelHeader.Dims[0]} labels");
        Count = imageHeader.Dims[0];
        if (Count == 0)
            throw new EdgeException($"{imagesPath} holds no images: the dataset is empty");
        _height = imageHeader.Dims[1];
        _width = imageHeader.Dims[2];
        _imageOffset = imageHeader.DataOffset;
        _labelOffset = labelHeader.DataOffset;
        CheckLength(imagesRaw, imagesPath, _imageOffset + (long)Count * _height * _width);
        CheckLength(labelsRaw, labelsPath, _labelOffset + Count);

        _imageMap = MemoryMappedFile.CreateFromFile(imagesRaw, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _labelMap = MemoryMappedFile.CreateFromFile(labelsRaw, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _images = _imageMap.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        _labels = _labelMap.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);

        int maxLabel = 0;
        for (int i = 0; i < Count; i++) maxLabel = Math.Max(maxLabel, _labels.ReadByte(_labelOffset + i));
        ClassNames = classNames ?? [.. Enumerable.Range(0, maxLabel + 1).Select(c => c.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        if (maxLabel >= ClassNames.Count)
            throw new EdgeException($"{labelsPath} has class {maxLabel} but only {ClassNames.Count} labels were given ({string.Join(", ", ClassNames.Take(6))}…); give a label for every class (--labels)");
    }

    public string Description { get; }
    public int Count { get; }
    public IReadOnlyList<string> ClassNames { get; }

    public RawImage GetImage(int index)
    {
        CheckIndex(index);
        int size = _height * _width;
        var pixels = new byte[size];
        _images.ReadArray(_imageOffset + (long)index * size, pixels, 0, size);
        return new RawImage(pixels, _height, _width, 1);
    }

    public int GetLabel(int index)
    {
        CheckIndex(index);
        return _labels.ReadByte(_labelOffset + index);
    }

    public void Dispose()
    {
        _images.Dispose(); _labels.Dispose();
        _imageMap.Dispose(); _labelMap.Dispose();
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), $"index {index} outside 0..{Count - 1}");
    }

    private static void CheckLength(string raw, string original, long expected)
    {
        long actual = new FileInfo(raw).Length;
        if (actual < expected)
            throw new EdgeException($"{original} is truncated: its header promises {expected} bytes, the file has {actual}");
    }
}

internal sealed record IdxHeader(int[] Dims, long DataOffset)
{
    public static IdxHeader Read(string path, int expectedMagic, string originalName)
    {
        using var stream = File.OpenRead(path);
        Span<byte> head = stackalloc byte[4];
        if (stream.Read(head) != 4)
            throw new EdgeException($"{originalName} is too short to be an IDX file");
        int magic = (head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3];
        if (magic != expectedMagic)
            throw new EdgeException($"{originalName} is not an IDX {(expectedMagic == 0x803 ? "image" : "label")} file (magic 0x{magic:x8}, expected 0x{expectedMagic:x8})");
        int rank = head[3] & 0xff;
        var dims = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            if (stream.Read(head) != 4)
                throw new EdgeException($"{originalName} is truncated inside its header");
            dims[d] = (head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3];
            if (dims[d] < 0)
                throw new EdgeException($"{originalName} has a negative dimension in its header");
        }
        return new IdxHeader(dims, 4 + 4L * rank);
    }
}

/// <summary>Unpacks a gzipped IDX file once into a per-user cache keyed by path, size and time.</summary>
internal static class IdxCache
{
    public static string Unpacked(string path)
    {
        if (!File.Exists(path))
            throw new EdgeException($"file not found: {path}");
        if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            return path;
        var info = new FileInfo(path);
        string key = IO.FileHash.Sha256(System.Text.Encoding.UTF8.GetBytes($"{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}"))[..16];
        string dir = Path.Combine(CacheRoot(), "idx");
        string target = Path.Combine(dir, $"{Path.GetFileNameWithoutExtension(path)}.{key}");
        if (File.Exists(target))
            return target;
        try
        {
            IO.AtomicFile.Write(target, output =>
            {
                using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
                gz.CopyTo(output);
            });
        }
        catch (InvalidDataException e)
        {
            throw new EdgeException($"{path} is not a valid gzip file ({e.Message}); the download is corrupt");
        }
        return target;
    }

    public static string CacheRoot()
    {
        string? env = Environment.GetEnvironmentVariable("EDGE_CACHE");
        if (!string.IsNullOrEmpty(env)) return env;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".cache") : xdg, "edge");
    }
}
