using Edge.Core;
using Edge.Distill.Models.Layers;

namespace Edge.Distill.Models;

/// <summary>
/// What EfficientNet and MobileNetV3 configs share (timm builds both with one <c>EfficientNetBuilder</c>): a stem conv,
/// a stage table of <see cref="MobileBlockSpec"/> rows, a width multiplier, the default activation, the
/// squeeze-excitation gate, a head width and dropout. Each family sets its own defaults and head.
/// </summary>
public abstract record MobileCnnConfig : StudentConfig
{
    protected MobileCnnConfig(string family) : base(family) { }

    public int StemChannels { get; init; }
    /// <summary>1 or 2. A stride-2 stem halves the map before the first block (the paper's; also right at 32 px).</summary>
    public int StemStride { get; init; } = 2;
    /// <summary>Stages in order; stage s becomes <c>blocks.s</c>.</summary>
    public MobileBlockSpec[][] Stages { get; init; } = [];
    /// <summary>timm's channel multiplier: every width × this, rounded to a multiple of 8 (make_divisible).</summary>
    public double WidthMultiplier { get; init; } = 1.0;
    public int HeadChannels { get; init; }
    /// <summary>Default activation of every block (a row may name its own); see <see cref="Activations"/>.</summary>
    public string Activation { get; init; } = "relu";
    public string SeGate { get; init; } = "sigmoid";
    /// <summary>Dropout before the classifier (timm's drop_rate).</summary>
    public double DropRate { get; init; }
    /// <summary>Stochastic depth of the last block; it grows linearly from 0 over the blocks (timm's drop_path_rate).</summary>
    public double DropPathRate { get; init; }

    /// <summary>The family's label in messages ("EfficientNet").</summary>
    protected abstract string Label { get; }

    /// <summary>The stage table as built: widths scaled, repeats as the family scales them.</summary>
    public abstract IReadOnlyList<IReadOnlyList<MobileBlockSpec>> ScaledStages();

    public int ScaledWidth(int channels) => MobileStages.MakeDivisible(channels * WidthMultiplier);

    protected void Fail(string why) => throw new EdgeException($"Invalid {Label} config: {why}.");

    /// <summary>The checks both families share; each family's <see cref="StudentConfig.Validate"/> calls it first.</summary>
    protected void ValidateShared()
    {
        ValidateInput(Label);
        if (StemChannels < 1) Fail($"StemChannels must be positive, got {StemChannels}");
        if (StemStride is not (1 or 2)) Fail($"StemStride must be 1 or 2, got {StemStride}");
        if (Stages.Length == 0 || Stages.Any(s => s is null || s.Length == 0)) Fail("Stages needs at least one stage, each with at least one row");
        for (int s = 0; s < Stages.Length; s++)
            for (int r = 0; r < Stages[s].Length; r++)
                Stages[s][r].Validate(Label, $"Stages[{s}][{r}]");
        if (!(WidthMultiplier > 0)) Fail($"WidthMultiplier must be positive, got {WidthMultiplier}");
        if (HeadChannels < 1) Fail($"HeadChannels must be positive, got {HeadChannels}");
        if (!Activations.IsActivation(Activation)) Fail($"unknown Activation '{Activation}' (known: {string.Join(", ", Activations.ActivationNames)})");
        if (!Activations.IsGate(SeGate)) Fail($"unknown SeGate '{SeGate}' (known: {string.Join(", ", Activations.GateNames)})");
        if (DropRate is < 0 or >= 1) Fail($"DropRate must be in [0, 1), got {DropRate}");
        if (DropPathRate is < 0 or >= 1) Fail($"DropPathRate must be in [0, 1), got {DropPathRate}");
    }

    /// <summary>Every stride-2 layer must see a map of at least 2x2: below that it only repeats a 1x1 map.</summary>
    protected override void CheckInput()
    {
        var strides = new List<(int Stride, string Where)> { (StemStride, "StemStride") };
        var scaled = ScaledStages();
        for (int s = 0; s < scaled.Count; s++)
            foreach (var row in scaled[s]) strides.Add((row.Stride, $"Stages[{s}]"));
        // The last of K stride-2 layers sees ceil(ImageSize / 2^(K-1)): at least 2 needs ImageSize > 2^(K-1).
        int smallest = (1 << (strides.Count(s => s.Stride == 2) - 1)) + 1;
        int side = ImageSize;
        foreach (var (stride, where) in strides)
        {
            if (stride == 2 && side < 2)
                throw new EdgeException($"{Label} at {ImageSize}x{ImageSize}: the stride-2 layer of {where} would see a 1x1 map; use ImageSize of at least {smallest} or stride 1 there (--student-config).");
            side = (side + stride - 1) / stride;
        }
    }

    public override string Summary() =>
        $"{base.Summary()}, stem {StemChannels}/{StemStride}, stages [{string.Join(" | ", Stages.Select(s => string.Join(" ", s.Select(r => r.ToString()))))}], head {HeadChannels}, width x{WidthMultiplier}";

    /// <summary>Parses one stage per string, rows separated by spaces (timm's block strings).</summary>
    public static MobileBlockSpec[][] ParseStages(params string[] stages) =>
        [.. stages.Select(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(MobileBlockSpec.Parse).ToArray())];
}
