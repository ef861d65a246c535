using System.Buffers;
using System.Text.Json;
using Edge.Serve.Inference;
using Edge.Serve.Repository;
using Edge.Serve.Services;
using Edge.Serve.Tensors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Edge.Serve.Rest;

/// <summary>
/// The KServe v2 REST API with Triton's extensions, on the HTTP/1.1 port: health, metadata, inference (JSON and
/// binary tensor data), model configuration, statistics, the repository API, and Edge's image classify. Each handler
/// is a thin call into the same <see cref="InferenceEngine"/> and repository the gRPC service uses; <see cref="RestFilter"/>
/// maps errors to <c>{"error": "…"}</c>. No endpoint needs a Content-Type: Triton's HTTP client sends none.
/// </summary>
public static class RestEndpoints
{
    public static void Map(WebApplication app, ServeOptions options)
    {
        var v2 = app.MapGroup("").AddEndpointFilter<RestFilter>();
        var engine = app.Services.GetService(typeof(InferenceEngine)) as InferenceEngine ?? throw new InvalidOperationException("no inference engine");
        var repository = engine.Repository;

        v2.MapGet("/v2/health/live", () => Flag("live", true));
        v2.MapGet("/v2/health/ready", () => repository.IsReady ? Flag("ready", true)
            : RestResults.Error(StatusCodes.Status503ServiceUnavailable, "server is not ready: no model has finished loading, or it is shutting down"));
        v2.MapGet("/v2", () => RestResults.Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("name", options.ServerName);
            w.WriteString("version", ServerInfo.Version);
            w.WriteStartArray("extensions");
            foreach (var e in ServerInfo.Extensions)
                w.WriteStringValue(e);
            w.WriteEndArray();
            w.WriteEndObject();
        }));

        foreach (string prefix in new[] { "/v2/models/{name}", "/v2/models/{name}/versions/{version}" })
        {
            v2.MapGet(prefix, (string name, string? version) => RestResults.Proto(ServerInfo.Metadata(repository, name, version)));
            v2.MapGet(prefix + "/ready", (string name, string? version) => ModelReady(repository, name, version));
            v2.MapGet(prefix + "/config", (string name, string? version) => RestResults.Proto(ServerInfo.Describe(repository, name, version).Described.Config));
            v2.MapGet(prefix + "/stats", (string name, string? version) => RestResults.Proto(ServerInfo.Statistics(repository, name, version)));
            v2.MapPost(prefix + "/infer", (HttpContext http, string name, string? version) => InferAsync(http, engine, options, name, version));
            v2.MapGet(prefix + "/trace/setting", () => Unimplemented(Unsupported.Trace));
            v2.MapPost(prefix + "/trace/setting", () => Unimplemented(Unsupported.Trace));
        }
        v2.MapGet("/v2/models/stats", () => RestResults.Proto(ServerInfo.Statistics(repository, null, null)));
        v2.MapPost("/v2/repository/index", async (HttpContext http) =>
        {
            using var body = await RestBody.ReadAsync(http.Request, options.MaxMessageBytes, http.RequestAborted).ConfigureAwait(false);
            bool ready = false;
            if (body.Length > 0)
            {
                using var doc = ParseObject(body.Memory, "the repository index request");
                ready = doc.RootElement.TryGetProperty("ready", out var r) && r.ValueKind == JsonValueKind.True;
            }
            var index = ServerInfo.Index(await repository.IndexAsync(ready, http.RequestAborted).ConfigureAwait(false));
            return RestResults.Json(w =>
            {
                w.WriteStartArray();
                foreach (var m in index.Models)
                    ProtoJson.Write(w, m);
                w.WriteEndArray();
            });
        });
        v2.MapPost("/v2/repository/models/{name}/load", async (HttpContext http, string name) =>
        {
            using var body = await RestBody.ReadAsync(http.Request, options.MaxMessageBytes, http.RequestAborted).ConfigureAwait(false);
            var p = LoadParameters.FromRest(name, Parameters(body, $"the load request for '{Text.Clip(name)}'"));
            await repository.LoadModelAsync(name, p.Config, p.Files, http.RequestAborted).ConfigureAwait(false);
            return RestResults.Ok();
        });
        v2.MapPost("/v2/repository/models/{name}/unload", async (HttpContext http, string name) =>
        {
            using var body = await RestBody.ReadAsync(http.Request, options.MaxMessageBytes, http.RequestAborted).ConfigureAwait(false);
            foreach (var (key, _) in Parameters(body, $"the unload request for '{Text.Clip(name)}'"))
                if (key != "unload_dependents")
                    throw ServeException.Invalid($"unknown unload parameter '{Text.Clip(key)}' (this server takes 'unload_dependents'; it serves no ensembles, so there are none)");
            await repository.UnloadModelAsync(name, http.RequestAborted).ConfigureAwait(false);
            return RestResults.Ok();
        });
        v2.MapGet("/v2/trace/setting", () => Unimplemented(Unsupported.Trace));
        v2.MapPost("/v2/trace/setting", () => Unimplemented(Unsupported.Trace));
        v2.MapGet("/v2/logging", () => Unimplemented(Unsupported.Logging));
        v2.MapPost("/v2/logging", () => Unimplemented(Unsupported.Logging));
        v2.MapPost("/v1/models/{name}/classify", (HttpContext http, string name) => ClassifyAsync(http, engine, options, name));
        v2.MapFallback("/v2/{**path}", (HttpContext http) => RestResults.Error(StatusCodes.Status404NotFound,
            $"no v2 endpoint {http.Request.Method} {Text.Clip(http.Request.Path.Value)}"));
    }

    private static IResult Flag(string name, bool value) => RestResults.Json(w =>
    {
        w.WriteStartObject();
        w.WriteBoolean(name, value);
        w.WriteEndObject();
    });

    private static IResult Unimplemented(string why) => RestResults.Error(StatusCodes.Status501NotImplemented, why);

    private static IResult ModelReady(ModelRepository repository, string name, string? version)
    {
        if (repository.IsModelReady(name, version))
            return RestResults.Json(w =>
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteBoolean("ready", true);
                w.WriteEndObject();
            });
        if (repository.VersionsOf(name).Count == 0)
            using (repository.Acquire(name, null)) { } // NOT_FOUND naming what is served
        return RestResults.Error(StatusCodes.Status503ServiceUnavailable, $"model {Text.Clip(name)} version {Text.Clip(version)} is not ready");
    }

    private static async Task<IResult> InferAsync(HttpContext http, InferenceEngine engine, ServeOptions options, string name, string? version)
    {
        using var body = await RestBody.ReadAsync(http.Request, options.MaxMessageBytes, http.RequestAborted).ConfigureAwait(false);
        int? headerLength = null;
        if (http.Request.Headers.TryGetValue(RestTensors.HeaderLengthHeader, out var h))
            headerLength = int.TryParse(h.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)
                ? n : throw ServeException.Invalid($"{RestTensors.HeaderLengthHeader} must be a byte count, got '{Text.Clip(h.ToString())}'");
        var request = RestTensors.Read(name, version, body.Memory, headerLength);
        using var result = await engine.InferAsync(request.Request, http.RequestAborted).ConfigureAwait(false);
        var answer = new ArrayBufferWriter<byte>(4096);
        int? answerHeader = RestTensors.Write(answer, result, request);
        return RestResults.Infer(answer, answerHeader);
    }

    private static async Task<IResult> ClassifyAsync(HttpContext http, InferenceEngine engine, ServeOptions options, string name)
    {
        using var body = await RestBody.ReadAsync(http.Request, options.MaxMessageBytes, http.RequestAborted).ConfigureAwait(false);
        byte[] image;
        int topK = 0;
        string? version = null;
        using (var doc = ParseObject(body.Memory, "the classify request"))
        {
            var root = doc.RootElement;
            if (!root.TryGetProperty("image", out var img) || img.ValueKind != JsonValueKind.String || !img.TryGetBytesFromBase64(out image!))
                throw ServeException.Invalid("the classify request needs \"image\": the encoded image (JPEG, PNG, WebP, BMP) as base64");
            if (root.TryGetProperty("top_k", out var k) && !(k.ValueKind == JsonValueKind.Number && k.TryGetInt32(out topK)))
                throw ServeException.Invalid("\"top_k\" must be an integer");
            if (root.TryGetProperty("model_version", out var v))
                version = v.ValueKind == JsonValueKind.String ? v.GetString() : throw ServeException.Invalid("\"model_version\" must be a string");
        }
        var r = await engine.ClassifyAsync(name, version, image, topK, http.RequestAborted).ConfigureAwait(false);
        return RestResults.Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("model_name", r.Model);
            w.WriteString("model_version", r.Version);
            w.WriteStartArray("predictions");
            foreach (var p in r.Top)
            {
                w.WriteStartObject();
                w.WriteNumber("index", p.Index);
                w.WriteString("label", p.Label);
                w.WriteNumber("probability", p.Probability);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static JsonDocument ParseObject(ReadOnlyMemory<byte> body, string what)
    {
        try
        {
            var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
                return doc;
            doc.Dispose();
        }
        catch (JsonException e)
        {
            throw ServeException.Invalid($"{what} is not valid JSON: {Text.Clip(e.Message, 160)}");
        }
        throw ServeException.Invalid($"{what} must be a JSON object");
    }

    /// <summary>The <c>parameters</c> object of a repository request as (key, string value) pairs.</summary>
    private static List<(string Key, string Value)> Parameters(RestBody body, string what)
    {
        var list = new List<(string, string)>();
        if (body.Length == 0)
            return list;
        using var doc = ParseObject(body.Memory, what);
        if (!doc.RootElement.TryGetProperty("parameters", out var p))
            return list;
        if (p.ValueKind != JsonValueKind.Object)
            throw ServeException.Invalid($"{what}: \"parameters\" must be an object");
        foreach (var prop in p.EnumerateObject())
            list.Add((prop.Name, prop.Value.ValueKind == JsonValueKind.String ? prop.Value.GetString()! : prop.Value.GetRawText()));
        return list;
    }
}
