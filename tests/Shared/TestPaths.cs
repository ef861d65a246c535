namespace Edge.Testing;

/// <summary>Where the repository, its default teacher and the Fashion-MNIST data live, for tests.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Teacher => Path.Combine(RepoRoot, "models", "fmnist-resnet18.onnx");

    public static string FashionMnist => "/usr/share/datasets/fashion-mnist";

    public static bool HasFashionMnist => File.Exists(Path.Combine(FashionMnist, "t10k-images-idx3-ubyte.gz"));

    /// <summary>Tests that need the real data fail (not skip) without it: .ci/run installs the Debian package.</summary>
    public static void RequireFashionMnist()
    {
        if (!HasFashionMnist)
            throw new InvalidOperationException("Fashion-MNIST is missing: apt-get install -y dataset-fashion-mnist (scripts/setup.sh does it)");
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Edge.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Edge.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary folder deleted when disposed.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edge-test-" + Guid.NewGuid().ToString("N")[..12]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
