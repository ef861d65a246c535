using Edge.Export.Onnx.Exporters;

namespace Edge.Export.Onnx;

/// <summary>
/// Module .NET type → exporter, listed explicitly in <see cref="CreateDefault"/>. Lookup is by exact type:
/// a subclass may compute something else, so it must be registered on its own.
/// </summary>
public sealed class ModuleExporterRegistry
{
    private readonly Dictionary<Type, IModuleExporter> exporters = [];

    public IEnumerable<Type> SupportedTypes => exporters.Keys;

    public ModuleExporterRegistry Register(IModuleExporter exporter)
    {
        if (!exporters.TryAdd(exporter.ModuleType, exporter))
            throw new InvalidOperationException($"An exporter for {exporter.ModuleType.Name} is already registered");
        return this;
    }

    public IModuleExporter? Find(Type moduleType) => exporters.GetValueOrDefault(moduleType);

    public static ModuleExporterRegistry CreateDefault() => new ModuleExporterRegistry()
        // torch.nn building blocks
        .Register(new SequentialExporter())
        .Register(new Conv2dExporter())
        .Register(new BatchNorm2dExporter())
        .Register(new LinearExporter())
        .Register(new LayerNormExporter())
        .Register(new GeluExporter())
        .Register(new ReluExporter())
        .Register(new SiluExporter())
        .Register(new HardswishExporter())
        .Register(new SigmoidExporter())
        .Register(new HardsigmoidExporter())
        .Register(new MaxPool2dExporter())
        .Register(new AvgPool2dExporter())
        .Register(new AdaptiveAvgPool2dExporter())
        .Register(new FlattenExporter())
        .Register(new PassThroughExporter<TorchSharp.Modules.Identity>())
        .Register(new PassThroughExporter<TorchSharp.Modules.Dropout>())
        // TinyViT layers
        .Register(new PassThroughExporter<Edge.Distill.Models.Layers.DropPath>())
        .Register(new Conv2dBNExporter())
        .Register(new PatchEmbedExporter())
        .Register(new MBConvExporter())
        .Register(new ConvLayerExporter())
        .Register(new PatchMergingExporter())
        .Register(new AttentionExporter())
        .Register(new MlpExporter())
        .Register(new TinyVitBlockExporter())
        .Register(new TinyVitStageExporter())
        .Register(new ClassifierHeadExporter())
        // mobile CNN blocks (EfficientNet, MobileNetV3)
        .Register(new SqueezeExciteExporter())
        .Register(new DepthwiseSeparableExporter())
        .Register(new InvertedResidualExporter())
        .Register(new ConvBnActExporter())
        // students
        .Register(new TinyVitExporter())
        .Register(new EfficientNetExporter())
        .Register(new MobileNetV3Exporter())
        .Register(new SimpleCnnExporter());
}
