using Edge.Core.Data;
using Edge.Core.Imaging;

namespace Edge.Core.Evaluation;

/// <summary>
/// Images with no labels (a folder of files, searched recursively, sorted by path): production samples, say. Usable
/// only as an unlabeled evaluation set, where the teacher's answers are the reference.
/// </summary>
public sealed class UnlabeledImageFolder : IImageDataset
{
    private readonly string[] _files;

    public UnlabeledImageFolder(string root)
    {
        Root = Path.GetFullPath(root);
        if (!System.IO.Directory.Exists(Root))
            throw new EdgeException($"image folder not found: {Root}");
        _files = System.IO.Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
            .Where(f => ImageFolderDataset.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (_files.Length == 0)
            throw new EdgeException($"{Root} contains no images ({string.Join(", ", ImageFolderDataset.Extensions)})");
    }

    public string Root { get; }
    public string Description => $"{Root} (unlabeled)";
    public int Count => _files.Length;
    public IReadOnlyList<string> ClassNames => [];
    public string GetPath(int index) => _files[index];
    public RawImage GetImage(int index) => ImageDecoder.DecodeFile(_files[index]);
    /// <summary>−1: no label (an unlabeled evaluation set never reads it as a class).</summary>
    public int GetLabel(int index) => -1;
    public void Dispose() { }
}
