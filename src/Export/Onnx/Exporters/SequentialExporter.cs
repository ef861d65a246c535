using Edge.Export.Onnx.Graph;
using TorchSharp.Modules;

namespace Edge.Export.Onnx.Exporters;

/// <summary>Children in registration order, each fed the previous output.</summary>
public sealed class SequentialExporter : ModuleExporter<Sequential>
{
    protected override OnnxValue Export(ExportContext ctx, Sequential module, string path, OnnxValue input)
    {
        var x = input;
        foreach (var (name, child) in module.named_children())
            x = ctx.Module(child, ExportContext.Join(path, name), x);
        return x;
    }
}
