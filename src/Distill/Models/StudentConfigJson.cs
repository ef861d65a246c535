using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Edge.Core;

namespace Edge.Distill.Models;

/// <summary>
/// The one JSON form of every student config: camelCase fields of the family's record, <c>family</c> first. Reading
/// lays a partial object over a base config (a file only needs the fields it changes, e.g. <c>{"numClasses": 10}</c>);
/// unknown fields are an error, so a typo never silently falls back to the default.
/// </summary>
public static class StudentConfigJson
{
    public const string FamilyField = "family";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
    };

    public static string Write(StudentConfig config)
    {
        var fields = JsonSerializer.SerializeToNode(config, config.GetType(), Json)!.AsObject();
        var ordered = new JsonObject { [FamilyField] = config.Family };
        foreach (var (key, value) in fields) ordered[key] = value?.DeepClone();
        return ordered.ToJsonString(Json);
    }

    /// <summary>
    /// <paramref name="json"/> laid over <paramref name="baseConfig"/>, validated. A <c>family</c> field, if present,
    /// must name the base config's family.
    /// </summary>
    /// <param name="label">The family as messages name it ("TinyViT", "EfficientNet").</param>
    public static T Overlay<T>(string json, T baseConfig, string label) where T : StudentConfig
    {
        var merged = JsonSerializer.SerializeToNode(baseConfig, typeof(T), Json)!.AsObject();
        JsonObject overrides;
        try
        {
            overrides = JsonNode.Parse(json)?.AsObject() ?? throw new EdgeException($"{label} config JSON is empty.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new EdgeException($"{label} config is not a JSON object: {e.Message}", e);
        }
        foreach (var (key, value) in overrides)
        {
            if (string.Equals(key, FamilyField, StringComparison.OrdinalIgnoreCase))
            {
                string? family = value is JsonValue v && v.TryGetValue(out string? s) ? s : null;
                if (!string.Equals(family, baseConfig.Family, StringComparison.OrdinalIgnoreCase))
                    throw new EdgeException($"the config is for the {(family is null ? "(unnamed)" : $"'{family}'")} family but this student is a {baseConfig.Family} ({label}); use a {baseConfig.Family} config or another --student");
                continue;
            }
            string? match = merged.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
            if (match is null)
                throw new EdgeException($"Unknown {label} config field '{key}'. Known: {string.Join(", ", merged.Select(p => p.Key))}.");
            merged[match] = value?.DeepClone();
        }
        T result;
        try
        {
            result = merged.Deserialize<T>(Json) ?? throw new EdgeException($"{label} config JSON is null.");
        }
        catch (JsonException e)
        {
            throw new EdgeException($"{label} config has a field of the wrong type: {e.Message}", e);
        }
        result.Validate();
        return result;
    }

    public static string ReadFile(string path, string label) =>
        File.Exists(path) ? File.ReadAllText(path) : throw new EdgeException($"{label} config file '{path}' does not exist.");
}
