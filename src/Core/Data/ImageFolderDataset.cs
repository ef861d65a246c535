using Edge.Core.Imaging;

namespace Edge.Core.Data;

/// <summary>
/// One subfolder per class (sorted by name = class index), images decoded on demand with SkiaSharp, EXIF
/// orientation applied. Only file paths are held in memory.
/// </summary>
public sealed class ImageFolderDataset : IImageDataset
{
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp"];

    private readonly string[] _files;
    private readonly int[] _labels;

    public ImageFolderDataset(string root, int channels, string description)
    {
        if (!Directory.Exists(root))
            throw new EdgeException($"image folder not found: {root}");
        Description = description;
        Channels = channels;
        var classDirs = Directory.GetDirectories(root).Where(d => !Path.GetFileName(d).StartsWith('.'))
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0)
            throw new EdgeException($"{root} has no class subfolders; an image folder needs one subfolder per class (e.g. {root}/cat/1.jpg)");
        ClassNames = classDirs.Select(Path.GetFileName).ToArray()!;
        var files = new List<string>();
        var labels = new List<int>();
        for (int c = 0; c < classDirs.Length; c++)
        {
            foreach (var file in Directory.EnumerateFiles(classDirs[c], "*", SearchOption.AllDirectories)
                         .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                         .OrderBy(f => f, StringComparer.Ordinal))
            {
                files.Add(file);
                labels.Add(c);
            }
        }
        if (files.Count == 0)
            throw new EdgeException($"{root} contains no images ({string.Join(", ", Extensions)}) in its class subfolders: the dataset is empty");
        _files = files.ToArray();
        _labels = labels.ToArray();
    }

    public string Description { get; }
    public int Count => _files.Length;
    public IReadOnlyList<string> ClassNames { get; }
    public int Channels { get; }

    public string GetPath(int index) => _files[index];

    public RawImage GetImage(int index) => ImageDecoder.DecodeFile(_files[index], Channels);

    public int GetLabel(int index) => _labels[index];

    public void Dispose() { }
}
