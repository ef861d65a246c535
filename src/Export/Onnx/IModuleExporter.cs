using Edge.Export.Onnx.Graph;
using TorchSharp;

namespace Edge.Export.Onnx;

/// <summary>
/// Writes the ONNX nodes equivalent to one TorchSharp module type in eval mode. Composite modules export
/// their children through <see cref="ExportContext.Child"/>, so each exporter knows one module only.
/// </summary>
public interface IModuleExporter
{
    Type ModuleType { get; }

    /// <param name="path">The module's path in the model (<c>stages.1.blocks.0.attn</c>), used for node names.</param>
    OnnxValue Export(ExportContext ctx, torch.nn.Module module, string path, OnnxValue input);
}

/// <summary>Typed base: one cast here instead of one in every exporter.</summary>
public abstract class ModuleExporter<TModule> : IModuleExporter where TModule : torch.nn.Module
{
    public Type ModuleType => typeof(TModule);

    public OnnxValue Export(ExportContext ctx, torch.nn.Module module, string path, OnnxValue input) =>
        Export(ctx, (TModule)module, path, input);

    protected abstract OnnxValue Export(ExportContext ctx, TModule module, string path, OnnxValue input);
}
