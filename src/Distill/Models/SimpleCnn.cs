using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models;

/// <summary>
/// A plain baseline student: three Conv-BN-ReLU blocks (widths EmbedDims[0..2]) with 2x2 max pools after
/// the first two, a global average pool, Flatten and Linear. Reads only ImageSize (a multiple of 4),
/// InChannels, NumClasses and EmbedDims from the config. Exists so the pipeline can be checked against
/// something that is not TinyViT.
/// </summary>
public sealed class SimpleCnn : StudentModel
{
    private readonly Sequential features;
    private readonly Sequential classifier;

    public SimpleCnn(TinyVitConfig config, string registryName = "simple-cnn") : base(nameof(SimpleCnn), registryName, config)
    {
        if (config.ImageSize % 4 != 0 || config.EmbedDims.Length < 3)
            throw new Edge.Core.EdgeException($"simple-cnn needs ImageSize divisible by 4 (got {config.ImageSize}) and three EmbedDims.");
        int c0 = config.EmbedDims[0], c1 = config.EmbedDims[1], c2 = config.EmbedDims[2];
        int pooled = config.ImageSize / 4;
        features = nn.Sequential(
            ("0", nn.Conv2d(config.InChannels, c0, 3, padding: 1, bias: false)),
            ("1", nn.BatchNorm2d(c0)),
            ("2", nn.ReLU()),
            ("3", nn.MaxPool2d(2)),
            ("4", nn.Conv2d(c0, c1, 3, padding: 1, bias: false)),
            ("5", nn.BatchNorm2d(c1)),
            ("6", nn.ReLU()),
            ("7", nn.MaxPool2d(2)),
            ("8", nn.Conv2d(c1, c2, 3, padding: 1, bias: false)),
            ("9", nn.BatchNorm2d(c2)),
            ("10", nn.ReLU()),
            ("11", nn.AvgPool2d(pooled)));
        classifier = nn.Sequential(
            ("0", nn.Flatten()),
            ("1", nn.Linear(c2, config.NumClasses)));
        RegisterComponents();
    }

    public Sequential Features => features;
    public Sequential Classifier => classifier;

    public override Tensor forward(Tensor x)
    {
        using var f = features.call(x);
        return classifier.call(f);
    }
}
