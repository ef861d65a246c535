using Edge.Serve.Protocol.Triton;
using Edge.Serve.Repository;
using Edge.Serve.Tensors;

namespace Edge.Serve.Services;

/// <summary>
/// A repository load request's parameters, either protocol: <c>config</c> (a JSON model configuration override) and
/// <c>file:PATH</c> entries (the files of an uploaded model folder, e.g. <c>file:1/model.onnx</c>). Anything else is
/// the client's error: a parameter the server would ignore must not look accepted.
/// </summary>
public sealed record LoadParameters(ModelConfig? Config, IReadOnlyDictionary<string, byte[]>? Files)
{
    public const string ConfigKey = "config";
    public const string FilePrefix = "file:";

    public static LoadParameters FromGrpc(string model, IReadOnlyDictionary<string, ModelRepositoryParameter> parameters)
    {
        ModelConfig? config = null;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in parameters)
        {
            if (key == ConfigKey && value.ParameterChoiceCase == ModelRepositoryParameter.ParameterChoiceOneofCase.StringParam)
                config = ModelConfigJson.Parse(value.StringParam, model);
            else if (key.StartsWith(FilePrefix, StringComparison.Ordinal) && value.ParameterChoiceCase == ModelRepositoryParameter.ParameterChoiceOneofCase.BytesParam)
                files[key[FilePrefix.Length..]] = value.BytesParam.ToByteArray();
            else
                throw Unknown(model, key);
        }
        return new LoadParameters(config, files.Count > 0 ? files : null);
    }

    /// <summary>From REST: <c>config</c> is a JSON string, files are base64 strings.</summary>
    public static LoadParameters FromRest(string model, IEnumerable<(string Key, string Value)> parameters)
    {
        ModelConfig? config = null;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in parameters)
        {
            if (key == ConfigKey)
                config = ModelConfigJson.Parse(value, model);
            else if (key.StartsWith(FilePrefix, StringComparison.Ordinal))
            {
                try
                {
                    files[key[FilePrefix.Length..]] = Convert.FromBase64String(value);
                }
                catch (FormatException)
                {
                    throw ServeException.Invalid($"failed to load '{Text.Clip(model)}': parameter '{Text.Clip(key)}' is not base64");
                }
            }
            else
                throw Unknown(model, key);
        }
        return new LoadParameters(config, files.Count > 0 ? files : null);
    }

    private static ServeException Unknown(string model, string key) =>
        ServeException.Invalid($"failed to load '{Text.Clip(model)}': unknown load parameter '{Text.Clip(key)}' (this server takes '{ConfigKey}' as a JSON string and '{FilePrefix}PATH' as bytes)");
}
