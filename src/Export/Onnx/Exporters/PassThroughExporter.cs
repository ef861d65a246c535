using Edge.Export.Onnx.Graph;
using TorchSharp;

namespace Edge.Export.Onnx.Exporters;

/// <summary>Modules that are the identity in eval mode (Identity, Dropout, DropPath): no node at all.</summary>
public sealed class PassThroughExporter<TModule> : ModuleExporter<TModule> where TModule : torch.nn.Module
{
    protected override OnnxValue Export(ExportContext ctx, TModule module, string path, OnnxValue input) => input;
}
