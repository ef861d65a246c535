using Edge.Core;

namespace Edge.Cli;

/// <summary>Where the default teacher lives: $EDGE_HOME/models, or a models/ folder above the current directory or the executable.</summary>
internal static class DefaultPaths
{
    public const string TeacherFile = "fmnist-resnet18.onnx";

    public static string Teacher()
    {
        foreach (var root in Roots())
        {
            string candidate = Path.Combine(root, "models", TeacherFile);
            if (File.Exists(candidate)) return candidate;
        }
        throw new EdgeException($"default teacher models/{TeacherFile} not found (looked above {Environment.CurrentDirectory} and {AppContext.BaseDirectory}); pass --teacher or set EDGE_HOME to the Edge checkout");
    }

    private static IEnumerable<string> Roots()
    {
        string? home = Environment.GetEnvironmentVariable("EDGE_HOME");
        if (!string.IsNullOrEmpty(home)) yield return home;
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                yield return dir.FullName;
    }
}
