using System.Text.Json;
using System.Text.Json.Serialization;

namespace Edge.Distill.Augment;

/// <summary>An <see cref="AugmentConfig"/> in JSON is its config string (<c>"flip,translate=3"</c>), as on the command line.</summary>
public sealed class AugmentConfigJson : JsonConverter<AugmentConfig>
{
    public override AugmentConfig? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : AugmentConfig.Parse(reader.GetString() ?? "");

    public override void Write(Utf8JsonWriter writer, AugmentConfig value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
