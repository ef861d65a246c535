using Edge.Core;
using Edge.Distill.Models;
using Edge.Export.Onnx.Graph;
using Edge.Onnx;
using Edge.Onnx.Passes;
using Edge.Onnx.Proto;
using TorchSharp;
using static TorchSharp.torch;

namespace Edge.Export.Onnx;

/// <summary>
/// TorchSharp module → ONNX file: walks the module tree through the exporter registry (eval mode, no
/// tracing), runs the graph passes (the toolkit's, on the ModelProto), writes the model atomically. Input "input" [batch, C, H, W],
/// output "logits" [batch, classes], batch dynamic, everything else static.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The passes run when <see cref="OnnxExportOptions.Optimize"/> is set, in order.</summary>
    public static IReadOnlyList<IGraphPass> DefaultPasses { get; } =
    [
        new BatchNormFoldingPass(),
        new ConstantFoldingPass(),
        new ReshapeChainPass(),
        new DeadNodeRemovalPass(),
    ];

    public static OnnxExportResult Export(nn.Module<Tensor, Tensor> module, OnnxExportOptions options, string outputPath,
        ModuleExporterRegistry? registry = null)
    {
        var model = Build(module, options, registry);
        long size = WriteAtomically(model, outputPath);
        var ops = model.Graph.Node.GroupBy(n => n.OpType).ToDictionary(grp => grp.Key, grp => grp.Count());
        return new OnnxExportResult(Path.GetFullPath(outputPath), options.Opset, model.Graph.Node.Count, model.Graph.Initializer.Count, size, ops);
    }

    /// <summary>Builds the ModelProto in memory (what <see cref="Export"/> writes).</summary>
    public static ModelProto Build(nn.Module<Tensor, Tensor> module, OnnxExportOptions options, ModuleExporterRegistry? registry = null)
    {
        if (options.Opset < 17)
            throw new EdgeException($"ONNX export needs opset 17 or later (LayerNormalization); got {options.Opset}.");
        var student = module as StudentModel;
        long[] inputShape = options.InputShape ?? student?.InputShape
            ?? throw new EdgeException($"OnnxExportOptions.InputShape is required for a {module.GetType().Name} (only students know their input shape).");

        var builder = new GraphBuilder(options.Opset);
        bool wasTraining = module.training;
        module.eval();
        try
        {
            using var _ = no_grad();
            var ctx = new ExportContext(builder, registry ?? ModuleExporterRegistry.CreateDefault(), options);
            var input = builder.AddInput(options.InputName, [-1, .. inputShape]);
            var output = ctx.Module(module, "", input);
            builder.AddOutput(output, options.OutputName);
        }
        finally
        {
            module.train(wasTraining);
        }

        var metadata = new Dictionary<string, string>();
        if (student is not null)
        {
            metadata["edge.student"] = student.RegistryName;
            metadata["edge.student_config"] = student.Config.ToJson();
        }
        metadata["edge.input_shape"] = string.Join(",", inputShape);
        foreach (var (k, v) in options.Metadata) metadata[k] = v;
        var model = OnnxModelWriter.ToModel(builder.Graph, options, student?.RegistryName ?? module.GetType().Name, metadata);
        if (options.Optimize)
            foreach (var pass in DefaultPasses) pass.Apply(model);
        return model;
    }

    /// <summary>Writes atomically (<see cref="ModelFile.Save"/>): readers never see half a model, a failed write leaves the old file.</summary>
    public static long WriteAtomically(ModelProto model, string outputPath)
    {
        string full = Path.GetFullPath(outputPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        ModelFile.Save(model, full);
        return new FileInfo(full).Length;
    }
}
