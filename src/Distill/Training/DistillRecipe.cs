using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Core;
using Edge.Core.IO;
using Edge.Distill.Models;
using YamlDotNet.RepresentationModel;

namespace Edge.Distill.Training;

/// <summary>
/// A recipe file (<c>edge distill --config recipe.json|yaml</c>): any subset of <see cref="DistillOptions"/>'s fields,
/// snake_case as in a run's <c>run.json</c> "options" (so a finished run's options are themselves a recipe), laid over
/// the defaults; then command-line flags override it. An unknown field is an error naming it, so a typo never falls
/// back to a default silently. Shorthands: <c>dataset: fashion-mnist</c> (a path), <c>loss: "kd=1,ce=0.5"</c>,
/// <c>teachers: model.onnx</c>, and <c>student_config:</c> (fields of the preset's config to change).
/// </summary>
public static class DistillRecipe
{
    public static DistillOptions Apply(DistillOptions defaults, string path)
    {
        if (!File.Exists(path)) throw new EdgeException($"recipe file not found: {path}");
        JsonObject recipe;
        try
        {
            recipe = (IsYaml(path) ? FromYaml(File.ReadAllText(path), path) : JsonNode.Parse(File.ReadAllText(path),
                documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })) as JsonObject
                ?? throw new EdgeException($"recipe {path} is not a mapping of option names to values");
        }
        catch (JsonException e)
        {
            throw new EdgeException($"recipe {path} is not valid JSON: {e.Message}");
        }
        return Apply(defaults, recipe, path);
    }

    public static DistillOptions Apply(DistillOptions defaults, JsonObject recipe, string where)
    {
        // A whole run.json is accepted too: its "options" are the recipe.
        if (recipe["format"]?.GetValue<string>() == DistillRecord.CurrentFormat && recipe["options"] is JsonObject inner)
            recipe = inner;
        JsonNode? studentConfig = recipe["student_config"]?.DeepClone();
        recipe.Remove("student_config");
        var merged = JsonSerializer.SerializeToNode(defaults, JsonFiles.Options)!.AsObject();
        Merge(merged, Shorthands(recipe), typeof(DistillOptions), where, "");
        DistillOptions options;
        try
        {
            options = merged.Deserialize<DistillOptions>(JsonFiles.Options) ?? throw new EdgeException($"recipe {where} is empty");
        }
        catch (JsonException e)
        {
            throw new EdgeException($"recipe {where}: a field has the wrong type ({e.Path}: {e.Message.Split('.')[0]})");
        }
        if (studentConfig is not null)
            options = options with { StudentConfig = StudentRegistry.ParseConfig(options.Student, studentConfig.ToJsonString()) };
        return options;
    }

    private static JsonObject Shorthands(JsonObject recipe)
    {
        var r = (JsonObject)recipe.DeepClone();
        if (r["dataset"] is JsonValue dataset) r["dataset"] = new JsonObject { ["path"] = dataset.GetValue<string>() };
        if (r["teachers"] is JsonValue teacher) r["teachers"] = new JsonArray(teacher.GetValue<string>());
        if (r["loss"] is JsonValue loss)
            r["loss"] = new JsonArray([.. Losses.LossWeight.ParseList(loss.GetValue<string>()).Select(l => new JsonObject { ["name"] = l.Name, ["weight"] = l.Weight })]);
        return r;
    }

    /// <summary>Lays <paramref name="over"/> onto <paramref name="into"/>: objects merge field by field, anything else
    /// replaces; a key that <paramref name="type"/> (as JSON) does not have is an error naming its path and the known ones.</summary>
    private static void Merge(JsonObject into, JsonObject over, Type type, string where, string prefix)
    {
        var properties = JsonFiles.Options.GetTypeInfo(type).Properties.ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var (key, value) in over.ToArray())
        {
            string name = prefix + key;
            if (!properties.TryGetValue(key, out var property))
                throw new EdgeException($"recipe {where}: unknown option '{name}'; known{(prefix.Length > 0 ? $" in {prefix.TrimEnd('.')}" : "")}: {string.Join(", ", properties.Keys)}");
            if (value is JsonObject obj && IsRecord(property.PropertyType))
            {
                if (into[key] is not JsonObject existing) into[key] = existing = new JsonObject();
                Merge(existing, obj, Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType, where, name + ".");
            }
            else into[key] = value?.DeepClone();
        }
    }

    private static bool IsRecord(Type t) => (Nullable.GetUnderlyingType(t) ?? t) is { IsClass: true } c && c != typeof(string) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(c);

    private static bool IsYaml(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>YAML → JSON: plain scalars become numbers, booleans or null where they read as such, quoted ones stay strings.</summary>
    public static JsonNode? FromYaml(string text, string where)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new EdgeException($"recipe {where} is not valid YAML (line {e.Start.Line}): {e.Message}");
        }
        return stream.Documents.Count == 0 ? new JsonObject() : Node(stream.Documents[0].RootNode);
    }

    private static JsonNode? Node(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", Node(kv.Value)))),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(Node)]),
        YamlScalarNode s when s.Style is YamlDotNet.Core.ScalarStyle.Plain => Scalar(s.Value ?? ""),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => null,
    };

    private static JsonNode? Scalar(string v)
    {
        if (v is "" or "~" or "null") return null;
        if (v is "true" or "True") return JsonValue.Create(true);
        if (v is "false" or "False") return JsonValue.Create(false);
        if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)) return JsonValue.Create(l);
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)) return JsonValue.Create(d);
        return JsonValue.Create(v);
    }
}
