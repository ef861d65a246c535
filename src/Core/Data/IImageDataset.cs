using Edge.Core.Imaging;

namespace Edge.Core.Data;

/// <summary>
/// A labelled image collection with random access. Implementations read lazily (memory-mapped IDX, image files
/// decoded on demand), so a dataset larger than memory works; only the index lives in memory.
/// Images come in their own channels (<see cref="RawImage.Channels"/>: 1 gray, 3 RGB); each model's preprocessing
/// converts them. Thread-safe for concurrent <see cref="GetImage"/> calls.
/// </summary>
public interface IImageDataset : IDisposable
{
    /// <summary>Where it came from and which split, for messages and gate hashes.</summary>
    string Description { get; }

    int Count { get; }

    IReadOnlyList<string> ClassNames { get; }

    RawImage GetImage(int index);

    int GetLabel(int index);
}
