using System.Reflection;
using Xunit;

namespace Edge.Quantize.Tests;

/// <summary>The quantizer runs where libtorch is absent (an edge box, a CI job): nothing it loads may need TorchSharp.</summary>
public sealed class DependencyTests
{
    [Fact]
    public void Edge_Quantize_references_no_TorchSharp_assembly_directly_or_transitively()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<AssemblyName>([typeof(OnnxQuantizer).Assembly.GetName()]);
        while (queue.TryDequeue(out var name))
        {
            if (!seen.Add(name.Name!) || name.Name!.StartsWith("System", StringComparison.Ordinal) || name.Name.StartsWith("Microsoft.", StringComparison.Ordinal) && name.Name != "Microsoft.ML.OnnxRuntime") continue;
            Assert.DoesNotContain("TorchSharp", name.Name, StringComparison.OrdinalIgnoreCase);
            Assembly assembly;
            try { assembly = Assembly.Load(name); }
            catch (FileNotFoundException) { continue; } // a reference this process never needs to load
            foreach (var r in assembly.GetReferencedAssemblies()) queue.Enqueue(r);
        }
        Assert.Contains("Edge.Onnx", seen);
        Assert.Contains("Edge.Core", seen);
        Assert.DoesNotContain(seen, n => n.StartsWith("Edge.Distill", StringComparison.Ordinal) || n.StartsWith("Edge.Export", StringComparison.Ordinal));
    }

    [Fact]
    public void No_libtorch_is_copied_next_to_the_quantizer()
    {
        string dir = AppContext.BaseDirectory;
        Assert.True(File.Exists(Path.Combine(dir, "Edge.Quantize.dll")));
        Assert.Empty(Directory.EnumerateFiles(dir, "*torch*", SearchOption.AllDirectories));
    }
}
