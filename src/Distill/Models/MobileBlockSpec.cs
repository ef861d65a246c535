using System.Globalization;
using Edge.Core;

namespace Edge.Distill.Models;

/// <summary>The three block types of timm's EfficientNet builder (<c>_efficientnet_blocks.py</c>).</summary>
public enum MobileBlockKind
{
    /// <summary>Depthwise-separable: depthwise conv, (SE), pointwise conv (timm <c>DepthwiseSeparableConv</c>).</summary>
    Ds,
    /// <summary>Inverted residual: 1x1 expand, depthwise conv, (SE), 1x1 project (timm <c>InvertedResidual</c>, MBConv).</summary>
    Ir,
    /// <summary>Plain conv + BN + act (timm <c>ConvBnAct</c>), e.g. MobileNetV3's last 1x1 stage.</summary>
    Cn,
}

/// <summary>
/// One row of a mobile CNN's stage table: <see cref="Repeats"/> blocks of one kind, the first with <see cref="Stride"/>,
/// the rest with stride 1. The typed form of timm's block strings (<c>ir_r2_k3_s2_e6_c24_se0.25</c>), which
/// <see cref="Parse"/> reads so presets stay one line per row and can be compared with timm's arch definitions.
/// </summary>
public sealed record MobileBlockSpec
{
    public MobileBlockKind Kind { get; init; } = MobileBlockKind.Ir;
    public int Repeats { get; init; } = 1;
    public int Kernel { get; init; } = 3;
    public int Stride { get; init; } = 1;
    /// <summary>Expansion ratio of an inverted residual (hidden = in × Expand); 1 for the other kinds.</summary>
    public double Expand { get; init; } = 1.0;
    /// <summary>Output channels before the family's width multiplier.</summary>
    public int Channels { get; init; }
    /// <summary>Squeeze-excitation ratio (how the family turns it into channels: see its config); 0: no SE.</summary>
    public double SeRatio { get; init; }
    /// <summary>Activation of this row (<see cref="Layers.Activations"/>); null: the family's default.</summary>
    public string? Activation { get; init; }
    /// <summary>No residual even where the shapes allow one (timm's <c>noskip</c>).</summary>
    public bool NoSkip { get; init; }

    private static readonly Dictionary<string, string> TimmActivations = new(StringComparer.Ordinal)
    {
        ["re"] = "relu", ["hs"] = "hardswish", ["sw"] = "silu",
    };

    /// <summary>timm's notation: <c>kind_r{repeats}_k{kernel}_s{stride}_e{expand}_c{channels}[_se{ratio}][_n{re|hs|sw}][_noskip]</c>.</summary>
    public static MobileBlockSpec Parse(string text)
    {
        var parts = text.Split('_');
        var kind = parts[0] switch
        {
            "ds" => MobileBlockKind.Ds,
            "ir" => MobileBlockKind.Ir,
            "cn" => MobileBlockKind.Cn,
            _ => throw Bad(text, $"block type '{parts[0]}' (known: ds, ir, cn)"),
        };
        var spec = new MobileBlockSpec { Kind = kind };
        foreach (var part in parts.Skip(1))
        {
            if (part == "noskip") { spec = spec with { NoSkip = true }; continue; }
            if (part.StartsWith("se", StringComparison.Ordinal)) { spec = spec with { SeRatio = Number(text, part[2..]) }; continue; }
            if (part.StartsWith('n'))
            {
                spec = spec with { Activation = TimmActivations.TryGetValue(part[1..], out var act) ? act : throw Bad(text, $"activation '{part}' (known: nre, nhs, nsw)") };
                continue;
            }
            double v = part.Length > 1 ? Number(text, part[1..]) : throw Bad(text, $"field '{part}'");
            spec = part[0] switch
            {
                'r' => spec with { Repeats = (int)v },
                'k' => spec with { Kernel = (int)v },
                's' => spec with { Stride = (int)v },
                'e' => spec with { Expand = v },
                'c' => spec with { Channels = (int)v },
                _ => throw Bad(text, $"field '{part}'"),
            };
        }
        return spec;
    }

    public override string ToString()
    {
        var s = $"{Kind.ToString().ToLowerInvariant()}_r{Repeats}_k{Kernel}_s{Stride}_e{Expand.ToString(CultureInfo.InvariantCulture)}_c{Channels}";
        if (SeRatio > 0) s += $"_se{SeRatio.ToString(CultureInfo.InvariantCulture)}";
        if (Activation is { } a) s += "_" + (TimmActivations.FirstOrDefault(p => p.Value == a).Key is { } k ? "n" + k : a);
        return NoSkip ? s + "_noskip" : s;
    }

    /// <summary>Throws naming the stage and row of the first bad field.</summary>
    public void Validate(string label, string where)
    {
        void Fail(string why) => throw new EdgeException($"Invalid {label} config: {where} ({this}): {why}.");
        if (Repeats < 1) Fail($"Repeats must be at least 1, got {Repeats}");
        if (Kernel < 1 || Kernel % 2 != 1) Fail($"Kernel must be odd, got {Kernel}");
        if (Stride is not (1 or 2)) Fail($"Stride must be 1 or 2, got {Stride}");
        if (Channels < 1) Fail($"Channels must be positive, got {Channels}");
        if (!(Expand >= 1)) Fail($"Expand must be at least 1, got {Expand}");
        if (Kind != MobileBlockKind.Ir && Expand != 1) Fail($"Expand applies to ir blocks only (this is {Kind.ToString().ToLowerInvariant()})");
        if (Kind == MobileBlockKind.Cn && SeRatio != 0) Fail("cn blocks have no squeeze-excitation");
        if (SeRatio is < 0 or >= 1) Fail($"SeRatio must be in [0, 1), got {SeRatio}");
        if (Activation is { } a && !Layers.Activations.IsActivation(a))
            Fail($"unknown Activation '{a}' (known: {string.Join(", ", Layers.Activations.ActivationNames)})");
    }

    private static double Number(string text, string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(text, $"number '{s}'");

    private static EdgeException Bad(string text, string what) =>
        new($"cannot read block '{text}': {what}; write timm's form, e.g. ir_r2_k3_s2_e6_c24_se0.25");
}
