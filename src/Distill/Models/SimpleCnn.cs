using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Edge.Distill.Models;

/// <summary>
/// A plain baseline student: three Conv-BN-ReLU blocks (<see cref="SimpleCnnConfig.Widths"/>) with 2x2 max pools
/// after the first two, a global average pool, Flatten and Linear. Exists so the pipeline can be checked against
/// the simplest CNN there is.
/// </summary>
public sealed class SimpleCnn : StudentModel
{
    private readonly Sequential features;
    private readonly Sequential classifier;

    public SimpleCnn(SimpleCnnConfig config, string registryName = "simple-cnn") : base(nameof(SimpleCnn), registryName, config.Validate())
    {
        int c0 = config.Widths[0], c1 = config.Widths[1], c2 = config.Widths[2];
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
        FeatureTaps = [new("features.2", c0, 1), new("features.6", c1, 2), new("features.10", c2, 4)];
        RegisterComponents();
    }

    /// <summary>The three ReLU outputs (before each pool).</summary>
    public override IReadOnlyList<FeatureTap> FeatureTaps { get; }

    /// <summary>One layer per Conv-BN-ReLU (features.0-3, 4-7, 8-11), then the classifier.</summary>
    protected override (int Major, int Minor) DepthKey(string name) => name.Split('.') switch
    {
        ["features", var i, ..] => (0, int.Parse(i) / 4),
        _ => HeadDepth,
    };

    public Sequential Features => features;
    public Sequential Classifier => classifier;

    public override Tensor forward(Tensor x)
    {
        using var f = features.call(x);
        return classifier.call(f);
    }
}
