using Edge.Serve.Protocol.Triton;
using Edge.Serve.Tensors;
using Google.Protobuf;

namespace Edge.Serve.Repository;

/// <summary>A load request's configuration override: Triton's model configuration as protobuf JSON (<c>{"max_batch_size": 16}</c>).</summary>
public static class ModelConfigJson
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static ModelConfig Parse(string json, string model)
    {
        try
        {
            return Parser.Parse<ModelConfig>(json);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or InvalidJsonException or FormatException)
        {
            throw ServeException.Invalid($"failed to load '{Text.Clip(model)}': its config override is not a JSON model configuration: {Text.Clip(e.Message, 200)}");
        }
    }
}
