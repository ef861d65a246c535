using System.Diagnostics;
using Edge.Core;
using Edge.Core.Data;

namespace Edge.Cli.Quickstart;

/// <summary>Installs Debian's dataset-fashion-mnist package when the quickstart needs it and it is missing.</summary>
internal static class DatasetInstaller
{
    public static void EnsureFashionMnist(TextWriter log)
    {
        if (File.Exists(Path.Combine(BuiltInDatasets.FashionMnist.Folder, "train-images-idx3-ubyte.gz")))
            return;
        bool root = Environment.UserName == "root";
        string prefix = root ? "" : "sudo ";
        log.WriteLine($"Fashion-MNIST is not installed; running: {prefix}apt-get install -y dataset-fashion-mnist");
        foreach (var args in new[] { "update -qq", "install -y -qq dataset-fashion-mnist" })
        {
            var start = new ProcessStartInfo(root ? "apt-get" : "sudo", root ? args : $"apt-get {args}") { UseShellExecute = false };
            start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            try
            {
                using var p = Process.Start(start)!;
                p.WaitForExit();
                if (p.ExitCode != 0)
                    throw new EdgeException($"apt-get {args} failed (exit {p.ExitCode}); install the dataset yourself: {prefix}apt-get install -y dataset-fashion-mnist");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new EdgeException($"cannot run apt-get ({e.Message}); install the dataset yourself: {prefix}apt-get install -y dataset-fashion-mnist");
            }
        }
    }
}
