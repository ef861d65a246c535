using Edge.Distill.Models;
using Edge.Export.Onnx;

namespace Edge.Bench.Quantize;

/// <summary>
/// Exports a freshly initialised (untrained) student, for speed and int8-vs-fp32 agreement figures until a
/// trained student exists; its top-1 on the test set means nothing.
/// </summary>
internal static class StudentModelFile
{
    public static string ExportUntrained(string name, string outDir, string? configPath = null, int seed = 0)
    {
        TorchSharp.torch.manual_seed(seed);
        using var student = StudentRegistry.Create(name, configPath is null ? null : StudentRegistry.ConfigFromFile(name, configPath));
        string suffix = configPath is null ? "" : "." + Path.GetFileNameWithoutExtension(configPath);
        string path = Path.Combine(outDir, $"{name}{suffix}.untrained.onnx");
        var result = OnnxExporter.Export(student, new OnnxExportOptions(), path);
        Console.WriteLine($"exported untrained {name}: {result}");
        return path;
    }
}
