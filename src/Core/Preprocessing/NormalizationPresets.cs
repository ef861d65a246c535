using System.Globalization;

namespace Edge.Core.Preprocessing;

/// <summary>Named normalisations for <c>--mean</c>/<c>--std</c> flags.</summary>
public static class NormalizationPresets
{
    public sealed record Preset(string Name, float[] Mean, float[] Std);

    private static readonly Dictionary<string, Preset> Entries = new(StringComparer.OrdinalIgnoreCase)
    {
        ["imagenet"] = new("imagenet", [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]),
        ["inception"] = new("inception", [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]),
        ["clip"] = new("clip", [0.48145466f, 0.4578275f, 0.40821073f], [0.26862954f, 0.26130258f, 0.27577711f]),
        ["none"] = new("none", [0f, 0f, 0f], [1f, 1f, 1f]),
    };

    public static IReadOnlyList<string> Names => [.. Entries.Keys];

    public static Preset? Find(string name) => Entries.GetValueOrDefault(name.Trim());

    /// <summary>"0.485,0.456,0.406", one value, or a preset name; <paramref name="std"/> picks the preset's std.</summary>
    public static float[] ParseVector(string text, string flag, bool std)
    {
        if (Find(text) is { } preset) return std ? preset.Std : preset.Mean;
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                throw new EdgeException($"{flag} '{text}' is not a comma-separated list of numbers or a preset ({string.Join(", ", Names)})");
        if (values.Length is not (1 or 3)) throw new EdgeException($"{flag} needs 1 or 3 values, got {values.Length}");
        return values;
    }
}
