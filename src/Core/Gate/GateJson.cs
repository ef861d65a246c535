using System.Text.Json;
using System.Text.Json.Serialization;
using Edge.Core.IO;

namespace Edge.Core.Gate;

/// <summary>gate.json reading and writing: Edge's JSON convention, plus NaN for figures a run could not measure.</summary>
public static class GateJson
{
    public static readonly JsonSerializerOptions Options = new(JsonFiles.Options)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Serialize(GateReport report) => JsonSerializer.Serialize(report, Options) + "\n";

    public static GateReport Read(string path)
    {
        if (!File.Exists(path))
            throw new EdgeException($"gate report not found: {path}");
        try
        {
            return JsonSerializer.Deserialize<GateReport>(File.ReadAllText(path), Options)
                   ?? throw new EdgeException($"{path} is empty; expected a gate report");
        }
        catch (JsonException e)
        {
            throw new EdgeException($"{path} is not a valid gate report (gate.json): {e.Message}");
        }
    }
}
