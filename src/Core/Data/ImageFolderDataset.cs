using Edge.Core.Imaging;

namespace Edge.Core.Data;

/// <summary>
/// One subfolder per class (sorted by folder name = class index), images decoded on demand with SkiaSharp in their
/// own channels, EXIF orientation applied. Class names are the folder names, or the labels a labels source maps them
/// to (<see cref="LabelsFile.MapFolders"/>). Only file paths are held in memory.
/// </summary>
public sealed class ImageFolderDataset : IImageDataset
{
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".webp", ".bmp"];

    private readonly string[] _files;
    private readonly int[] _labels;

    public ImageFolderDataset(string root, string? labels, string description)
    {
        if (!Directory.Exists(root))
            throw new EdgeException($"image folder not found: {root}");
        Root = Path.GetFullPath(root);
        Description = description;
        var classDirs = Directory.GetDirectories(root).Where(d => !Path.GetFileName(d).StartsWith('.'))
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0)
            throw new EdgeException($"{root} has no class subfolders; an image folder needs one subfolder per class (e.g. {root}/cat/1.jpg)");
        var folderNames = classDirs.Select(d => Path.GetFileName(d)!).ToArray();
        FolderNames = folderNames;
        ClassNames = labels is null ? folderNames : LabelsFile.MapFolders(labels, folderNames, root);
        var files = new List<string>();
        var classOf = new List<int>();
        for (int c = 0; c < classDirs.Length; c++)
        {
            int before = files.Count;
            foreach (var file in Directory.EnumerateFiles(classDirs[c], "*", SearchOption.AllDirectories)
                         .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                         .OrderBy(f => f, StringComparer.Ordinal))
            {
                files.Add(file);
                classOf.Add(c);
            }
            if (files.Count == before)
                throw new EdgeException($"class folder {classDirs[c]} holds no images ({string.Join(", ", Extensions)}); add images or remove the folder");
        }
        _files = files.ToArray();
        _labels = classOf.ToArray();
    }

    public string Root { get; }
    public string Description { get; }
    public int Count => _files.Length;
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>The class subfolders' own names, in class order.</summary>
    public IReadOnlyList<string> FolderNames { get; }

    public string GetPath(int index) => _files[index];

    public RawImage GetImage(int index) => ImageDecoder.DecodeFile(_files[index]);

    public int GetLabel(int index) => _labels[index];

    public void Dispose() { }
}
