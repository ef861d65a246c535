namespace Edge.Bench.Distill;

/// <summary>The repository root (for the default teacher) and the machine's load, printed with every figure.</summary>
public static class Paths
{
    public static string Root { get; } = FindRoot();

    public static string Load() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Edge.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
