using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Google.Protobuf.Reflection;

namespace Edge.Serve.Rest;

/// <summary>
/// Writes a protocol message as the REST JSON Triton's HTTP endpoints answer with: the published (snake_case) field
/// names, every field including defaults (a client reads <c>config["max_batch_size"]</c> even when it is 0), 64-bit
/// integers as JSON numbers (protobuf's own JSON writes them as strings), enums by name, only the set member of a oneof.
/// </summary>
public static class ProtoJson
{
    public static void Write(Utf8JsonWriter w, IMessage message)
    {
        w.WriteStartObject();
        foreach (var field in message.Descriptor.Fields.InDeclarationOrder())
        {
            if (field.RealContainingOneof is { } oneof && oneof.Accessor.GetCaseFieldDescriptor(message) != field)
                continue;
            object value = field.Accessor.GetValue(message);
            if (field.IsMap)
            {
                w.WritePropertyName(field.Name);
                w.WriteStartObject();
                var valueField = field.MessageType.FindFieldByNumber(2);
                foreach (System.Collections.DictionaryEntry e in (System.Collections.IDictionary)value)
                {
                    w.WritePropertyName(Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture)!);
                    WriteValue(w, valueField, e.Value!);
                }
                w.WriteEndObject();
            }
            else if (field.IsRepeated)
            {
                w.WritePropertyName(field.Name);
                w.WriteStartArray();
                foreach (var item in (System.Collections.IEnumerable)value)
                    WriteValue(w, field, item);
                w.WriteEndArray();
            }
            else if (field.FieldType == FieldType.Message && value is null)
                continue;
            else
            {
                w.WritePropertyName(field.Name);
                WriteValue(w, field, value);
            }
        }
        w.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter w, FieldDescriptor field, object value)
    {
        switch (field.FieldType)
        {
            case FieldType.Message or FieldType.Group:
                Write(w, (IMessage)value);
                break;
            case FieldType.Enum:
                w.WriteStringValue(field.EnumType.FindValueByNumber(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture))?.Name ?? value.ToString());
                break;
            case FieldType.String:
                w.WriteStringValue((string)value);
                break;
            case FieldType.Bytes:
                w.WriteBase64StringValue(((ByteString)value).Span);
                break;
            case FieldType.Bool:
                w.WriteBooleanValue((bool)value);
                break;
            case FieldType.Double:
                w.WriteNumberValue((double)value);
                break;
            case FieldType.Float:
                w.WriteNumberValue((float)value);
                break;
            case FieldType.UInt64 or FieldType.Fixed64:
                w.WriteNumberValue((ulong)value);
                break;
            case FieldType.UInt32 or FieldType.Fixed32:
                w.WriteNumberValue((uint)value);
                break;
            case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64:
                w.WriteNumberValue((long)value);
                break;
            default:
                w.WriteNumberValue(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }
}
