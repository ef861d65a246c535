using Edge.Core;
using Edge.Export.Onnx.Graph;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Export.Onnx;

/// <summary>What an exporter sees: the graph builder, the options, and a way to export a child module.</summary>
public sealed class ExportContext(GraphBuilder graph, ModuleExporterRegistry registry, OnnxExportOptions options)
{
    public GraphBuilder Graph { get; } = graph;
    public OnnxExportOptions Options { get; } = options;

    /// <summary>Exports <paramref name="child"/> of the module at <paramref name="parentPath"/>, naming it by
    /// the field name the parent registered it under (the state_dict key).</summary>
    public OnnxValue Child(nn.Module parent, string parentPath, nn.Module child, OnnxValue input)
    {
        string name = parent.named_children().FirstOrDefault(c => ReferenceEquals(c.module, child)).name
            ?? throw new InvalidOperationException($"{child.GetType().Name} is not a registered child of '{parentPath}'");
        return Module(child, Join(parentPath, name), input);
    }

    /// <summary>Exports any module through the registry; unknown types fail naming the module path and type.</summary>
    public OnnxValue Module(nn.Module module, string path, OnnxValue input) =>
        registry.Find(module.GetType()) is { } exporter
            ? exporter.Export(this, module, path, input)
            : throw new EdgeException(
                $"Cannot export module '{(path.Length == 0 ? "<root>" : path)}' of type {module.GetType().FullName}: no ONNX exporter is registered for it. " +
                $"Supported: {string.Join(", ", registry.SupportedTypes.Select(t => t.Name).Order())}.");

    public static string Join(string parent, string name) => parent.Length == 0 ? name : $"{parent}.{name}";

    /// <summary>A tensor's values as float32 in row-major order (copied; the module keeps its own).</summary>
    public static float[] Floats(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().cpu().to(float32).contiguous().data<float>().ToArray();
    }
}
