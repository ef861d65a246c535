using Edge.Distill.Models;
using Edge.Export.Onnx;

namespace Edge.Bench.Quantize;

/// <summary>
/// Exports a freshly initialised (untrained) student, for speed and int8-vs-fp32 agreement figures until a
/// trained student exists; its top-1 on the test set means nothing.
/// </summary>
internal static class StudentModelFile
{
    public static string ExportUntrained(string name, string outDir, int seed = 0)
    {
        TorchSharp.torch.manual_seed(seed);
        using var student = StudentRegistry.Create(name);
        string path = Path.Combine(outDir, $"{name}.untrained.onnx");
        var result = OnnxExporter.Export(student, new OnnxExportOptions(), path);
        Console.WriteLine($"exported untrained {name}: {result}");
        return path;
    }
}
