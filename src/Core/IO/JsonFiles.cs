using System.Text.Json;
using System.Text.Json.Serialization;

namespace Edge.Core.IO;

/// <summary>One JSON convention for every artifact Edge writes: snake_case, indented, enums as strings.</summary>
public static class JsonFiles
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static T Read<T>(string path)
    {
        if (!File.Exists(path))
            throw new EdgeException($"file not found: {path}");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options)
                   ?? throw new EdgeException($"{path} is empty; expected a JSON {typeof(T).Name}");
        }
        catch (JsonException e)
        {
            throw new EdgeException($"{path} is not a valid {typeof(T).Name} JSON file: {e.Message}");
        }
    }

    public static void Write<T>(string path, T value) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, Options) + "\n");

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
}
