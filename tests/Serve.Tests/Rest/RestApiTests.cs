using System.IO.Compression;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Edge.Serve.Tests.Rest;

/// <summary>
/// The KServe v2 REST API with Triton's extensions, sent exactly as Triton's HTTP client forms requests: no
/// Content-Type, a JSON header optionally followed by binary tensor data (Inference-Header-Content-Length),
/// binary_data_output, classification, the model configuration, gzip/deflate bodies. Expected values are computed here.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class RestApiTests(ServerFixture fx)
{
    private HttpClient Http() => new() { BaseAddress = new Uri(fx.Server.HttpAddress), DefaultRequestVersion = HttpVersion.Version11 };

    /// <summary>A body with no Content-Type header, as Triton's client sends it.</summary>
    private static ByteArrayContent Body(byte[] bytes, int? headerLength = null, string? encoding = null)
    {
        var content = new ByteArrayContent(bytes);
        if (headerLength is { } h)
            content.Headers.Add("Inference-Header-Content-Length", h.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (encoding is not null)
            content.Headers.ContentEncoding.Add(encoding);
        return content;
    }

    private static ByteArrayContent Json(string json) => Body(Encoding.UTF8.GetBytes(json));

    private static async Task<JsonElement> Read(HttpResponseMessage r) => JsonDocument.Parse(await r.Content.ReadAsByteArrayAsync()).RootElement;

    private static readonly int[] A = [.. Enumerable.Range(0, 16)];
    private static readonly int[] B = [.. Enumerable.Range(0, 16).Select(i => 3 * i - 20)];

    private static string SimpleJson(string outputs = "", string parameters = "") =>
        $$"""{"id":"j1","inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"INT32","data":[{{string.Join(',', A)}}]},{"name":"INPUT1","shape":[1,16],"datatype":"INT32","data":[{{string.Join(',', B)}}]}]{{outputs}}{{parameters}}}""";

    [Fact]
    public async Task Infer_takes_JSON_without_a_content_type_and_answers_snake_case_JSON()
    {
        using var http = Http();
        using var r = await http.PostAsync("/v2/models/simple/infer", Json(SimpleJson(",\"outputs\":[{\"name\":\"OUTPUT0\",\"parameters\":{\"binary_data\":false}},{\"name\":\"OUTPUT1\"}]")));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        var json = await Read(r);
        Assert.Equal("simple", json.GetProperty("model_name").GetString());
        Assert.Equal("1", json.GetProperty("model_version").GetString());
        Assert.Equal("j1", json.GetProperty("id").GetString());
        var outputs = json.GetProperty("outputs");
        Assert.Equal("INT32", outputs[0].GetProperty("datatype").GetString());
        Assert.Equal("[1,16]", outputs[0].GetProperty("shape").GetRawText());
        Assert.Equal(A.Zip(B, (x, y) => x + y), outputs[0].GetProperty("data").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(A.Zip(B, (x, y) => x - y), outputs[1].GetProperty("data").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task Nested_data_is_read_in_row_major_order()
    {
        using var http = Http();
        string rows = $"[[{string.Join(',', A)}],[{string.Join(',', B)}]]";
        string body = $$"""{"inputs":[{"name":"INPUT0","shape":[2,16],"datatype":"INT32","data":{{rows}}},{"name":"INPUT1","shape":[2,16],"datatype":"INT32","data":{{rows}}}]}""";
        var json = await Read(await http.PostAsync("/v2/models/simple/infer", Json(body)));
        Assert.Equal(A.Concat(B).Select(x => 2 * x), json.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task Binary_tensor_data_goes_both_ways_with_the_header_length()
    {
        using var http = Http();
        string header = """{"inputs":[{"name":"INPUT0","shape":[1,16],"datatype":"INT32","parameters":{"binary_data_size":64}},{"name":"INPUT1","shape":[1,16],"datatype":"INT32","parameters":{"binary_data_size":64}}],"parameters":{"binary_data_output":true}}""";
        byte[] h = Encoding.UTF8.GetBytes(header);
        byte[] body = [.. h, .. MemoryMarshal.AsBytes(A.AsSpan()).ToArray(), .. MemoryMarshal.AsBytes(B.AsSpan()).ToArray()];
        using var r = await http.PostAsync("/v2/models/simple/infer", Body(body, h.Length));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/octet-stream", r.Content.Headers.ContentType?.MediaType);
        int length = int.Parse(r.Headers.GetValues("Inference-Header-Content-Length").Single(), System.Globalization.CultureInfo.InvariantCulture);
        byte[] answer = await r.Content.ReadAsByteArrayAsync();
        var json = JsonDocument.Parse(answer.AsMemory(0, length)).RootElement;
        var outputs = json.GetProperty("outputs");
        Assert.Equal(64, outputs[0].GetProperty("parameters").GetProperty("binary_data_size").GetInt32());
        Assert.False(outputs[0].TryGetProperty("data", out _));
        Assert.Equal(length + 128, answer.Length);
        Assert.Equal(A.Zip(B, (x, y) => x + y), MemoryMarshal.Cast<byte, int>(answer.AsSpan(length, 64)).ToArray());
        Assert.Equal(A.Zip(B, (x, y) => x - y), MemoryMarshal.Cast<byte, int>(answer.AsSpan(length + 64, 64)).ToArray());

        // No outputs named and no binary_data_output: JSON data (Triton's client asks for binary explicitly).
        var plain = await Read(await http.PostAsync("/v2/models/simple/infer", Json(SimpleJson())));
        Assert.Equal(16, plain.GetProperty("outputs")[0].GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Every_datatype_travels_as_JSON_numbers_booleans_and_strings()
    {
        using var http = Http();
        var values = new Dictionary<string, string>
        {
            ["BOOL"] = "[true,false,true]", ["UINT8"] = "[0,128,255]", ["UINT16"] = "[0,300,65535]", ["UINT32"] = "[0,70000,4294967295]",
            ["UINT64"] = "[0,1099511627776,18446744073709551615]", ["INT8"] = "[-128,0,127]", ["INT16"] = "[-32768,0,32767]",
            ["INT32"] = "[-2147483648,0,2147483647]", ["INT64"] = "[-9223372036854775808,0,9223372036854775807]",
            ["FP32"] = "[-1.5,0.25,3.4028235E+38]", ["FP64"] = "[-1.5,3.141592653589793,1E-300]", ["BYTES"] = "[\"a\",\"\",\"ünï\"]",
        };
        string inputs = string.Join(',', values.Select(kv => $$"""{"name":"IN_{{kv.Key}}","shape":[1,3],"datatype":"{{kv.Key}}","data":{{kv.Value}}}"""));
        using var r = await http.PostAsync("/v2/models/all_types/infer", Json($$"""{"inputs":[{{inputs}}]}"""));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var outputs = (await Read(r)).GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!, o => o.GetProperty("data"));
        foreach (var (type, json) in values)
        {
            using var expected = JsonDocument.Parse(json);
            var got = outputs[$"OUT_{type}"].EnumerateArray().ToArray();
            var want = expected.RootElement.EnumerateArray().ToArray();
            for (int i = 0; i < 3; i++)
                Assert.True(type switch
                {
                    "FP32" => want[i].GetSingle() == got[i].GetSingle(),
                    "FP64" => want[i].GetDouble() == got[i].GetDouble(),
                    "BYTES" => want[i].GetString() == got[i].GetString(),
                    _ => want[i].GetRawText() == got[i].GetRawText(),
                }, $"{type} element {i}: sent {want[i].GetRawText()}, got {got[i].GetRawText()}");
        }
        // FP16 and BF16 in JSON are numbers too (BF16 rounds to 8 bits of mantissa).
        using var half = await http.PostAsync("/v2/models/half_types/infer", Json("""{"inputs":[{"name":"IN_FP16","shape":[1,3],"datatype":"FP16","data":[0.5,-2,1024]},{"name":"IN_BF16","shape":[1,3],"datatype":"BF16","data":[1,-3.140625,256]}]}"""));
        var halfOut = (await Read(half)).GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!, o => o.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray());
        Assert.Equal([0.5, -2, 1024], halfOut["OUT_FP16"]);
        Assert.Equal([1, -3.140625, 256], halfOut["OUT_BF16"]);
    }

    [Fact]
    public async Task Classification_over_JSON_answers_strings()
    {
        using var http = Http();
        var json = await Read(await http.PostAsync("/v2/models/simple/infer", Json(SimpleJson(",\"outputs\":[{\"name\":\"OUTPUT1\",\"parameters\":{\"classification\":2,\"binary_data\":false}}]"))));
        var output = json.GetProperty("outputs")[0];
        Assert.Equal("BYTES", output.GetProperty("datatype").GetString());
        // OUTPUT1 = A - B = 20 - 2i: largest at i = 0 (20), then i = 1 (18).
        Assert.Equal(["20:0", "18:1"], output.GetProperty("data").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Model_configuration_and_statistics_are_JSON_with_numbers()
    {
        using var http = Http();
        var config = await Read(await http.GetAsync("/v2/models/simple/config"));
        Assert.Equal(JsonValueKind.Number, config.GetProperty("max_batch_size").ValueKind);
        Assert.Equal(8, config.GetProperty("max_batch_size").GetInt32());
        Assert.Equal("[16]", config.GetProperty("input")[0].GetProperty("dims").GetRawText());
        Assert.Equal("TYPE_INT32", config.GetProperty("input")[0].GetProperty("data_type").GetString());
        Assert.Equal(2000, config.GetProperty("dynamic_batching").GetProperty("max_queue_delay_microseconds").GetInt64());
        Assert.Equal("KIND_CPU", config.GetProperty("instance_group")[0].GetProperty("kind").GetString());
        Assert.Equal(0, (await Read(await http.GetAsync("/v2/models/fixed_double/versions/1/config"))).GetProperty("max_batch_size").GetInt32());

        long before = (await Read(await http.GetAsync("/v2/models/simple/stats"))).GetProperty("model_stats")[0].GetProperty("inference_stats").GetProperty("success").GetProperty("count").GetInt64();
        await http.PostAsync("/v2/models/simple/infer", Json(SimpleJson()));
        var stats = (await Read(await http.GetAsync("/v2/models/simple/versions/1/stats"))).GetProperty("model_stats")[0];
        Assert.Equal(before + 1, stats.GetProperty("inference_stats").GetProperty("success").GetProperty("count").GetInt64());
        Assert.Equal(JsonValueKind.Number, stats.GetProperty("inference_count").ValueKind);
        Assert.Equal(6, (await Read(await http.GetAsync("/v2/models/stats"))).GetProperty("model_stats").GetArrayLength());
    }

    [Fact]
    public async Task Repository_index_load_and_unload_over_REST()
    {
        using var http = Http();
        var index = await Read(await http.PostAsync("/v2/repository/index", Body([])));
        Assert.Equal(6, index.GetArrayLength());
        Assert.Equal("READY", index[0].GetProperty("state").GetString());
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v2/repository/models/fixed_double/unload", Json("""{"parameters":{"unload_dependents":false}}"""))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v2/models/fixed_double/ready")).StatusCode);
            var ready = await Read(await http.PostAsync("/v2/repository/index", Json("""{"ready":true}""")));
            Assert.Equal(5, ready.GetArrayLength());
            var bad = await http.PostAsync("/v2/repository/models/fixed_double/load", Json("""{"parameters":{"config":"\"parameters\": {\"config\": {{"}}"""));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("failed to load 'fixed_double'", (await Read(bad)).GetProperty("error").GetString());
        }
        finally
        {
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v2/repository/models/fixed_double/load", Body([]))).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/models/fixed_double/ready")).StatusCode);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    public async Task Compressed_request_bodies_are_read_and_answers_compressed_on_request(string encoding)
    {
        using var http = Http();
        byte[] plain = Encoding.UTF8.GetBytes(SimpleJson(",\"outputs\":[{\"name\":\"OUTPUT0\",\"parameters\":{\"binary_data\":false}}]"));
        var compressed = new MemoryStream();
        using (Stream z = encoding == "gzip" ? new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true) : new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            z.Write(plain);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/simple/infer") { Content = Body(compressed.ToArray(), encoding: encoding) };
        request.Headers.AcceptEncoding.ParseAdd(encoding);
        using var r = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(encoding, Assert.Single(r.Content.Headers.ContentEncoding));
        byte[] raw = await r.Content.ReadAsByteArrayAsync();
        using Stream unzip = encoding == "gzip" ? new GZipStream(new MemoryStream(raw), CompressionMode.Decompress) : new ZLibStream(new MemoryStream(raw), CompressionMode.Decompress);
        var json = JsonDocument.Parse(unzip).RootElement;
        Assert.Equal(A.Zip(B, (x, y) => x + y), json.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task Oversize_bodies_are_413_compressed_or_not()
    {
        using var http = Http();
        var big = new byte[(1 << 20) + 10]; // the fixture's limit is 1 MiB
        var r = await http.PostAsync("/v2/models/simple/infer", Body(big));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Contains("larger than this server accepts", (await Read(r)).GetProperty("error").GetString());

        // 4 MiB of zeros gzip to a few KB: the limit applies to what the body decompresses to.
        var bomb = new MemoryStream();
        using (var z = new GZipStream(bomb, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(new byte[4 << 20]);
        Assert.True(bomb.Length < 64 * 1024);
        r = await http.PostAsync("/v2/models/simple/infer", Body(bomb.ToArray(), encoding: "gzip"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v2/models/simple/infer", Json(SimpleJson()))).StatusCode);
    }

    [Theory]
    [InlineData("/v2/models/nope/infer", "{\"inputs\":[]}", HttpStatusCode.NotFound, "Request for unknown model: 'nope'")]
    [InlineData("/v2/models/simple/infer", "{not json", HttpStatusCode.BadRequest, "not valid JSON")]
    [InlineData("/v2/models/simple/infer", "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"data\":[1,2]}]}", HttpStatusCode.BadRequest, "(16 elements) but \"data\" holds 2")]
    [InlineData("/v2/models/simple/infer", "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,2],\"datatype\":\"INT8\",\"data\":[1,300]}]}", HttpStatusCode.BadRequest, "is INT8, but element 1 is 300")]
    [InlineData("/v2/models/simple/infer", "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,16],\"datatype\":\"INT32\",\"parameters\":{\"binary_data_size\":64}}]}", HttpStatusCode.BadRequest, "only 0 byte(s) of binary data are left")]
    [InlineData("/v2/models/simple/versions/4/infer", "{\"inputs\":[]}", HttpStatusCode.NotFound, "version 4 is not loaded")]
    public async Task Errors_are_an_error_object_with_the_status_a_Triton_client_expects(string path, string body, HttpStatusCode status, string expected)
    {
        using var http = Http();
        var r = await http.PostAsync(path, Json(body));
        Assert.Equal(status, r.StatusCode);
        var json = await Read(r);
        Assert.Equal(["error"], json.EnumerateObject().Select(p => p.Name));
        Assert.Contains(expected, json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Health_metadata_classify_trace_and_logging_paths()
    {
        using var http = Http();
        Assert.True((await Read(await http.GetAsync("/v2/health/live"))).GetProperty("live").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/health/ready")).StatusCode);
        Assert.True((await Read(await http.GetAsync("/v2/models/simple/versions/1/ready"))).GetProperty("ready").GetBoolean());
        var meta = await Read(await http.GetAsync("/v2/models/simple"));
        Assert.Equal("[-1,16]", meta.GetProperty("inputs")[0].GetProperty("shape").GetRawText());
        Assert.Equal("edge", (await Read(await http.GetAsync("/v2"))).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v2/models/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v2/no/such/path")).StatusCode);

        var classify = await http.PostAsync("/v1/models/fmnist/classify", Json($$"""{"image":"{{Convert.ToBase64String(ServeTestKit.FashionImages[2].Png)}}","top_k":2}"""));
        Assert.Equal(HttpStatusCode.OK, classify.StatusCode);
        var predictions = (await Read(classify)).GetProperty("predictions");
        Assert.Equal(2, predictions.GetArrayLength());
        Assert.Equal(ServeTestKit.FashionImages[2].Label, predictions[0].GetProperty("index").GetInt32());

        foreach (var path in new[] { "/v2/trace/setting", "/v2/logging", "/v2/models/simple/trace/setting" })
        {
            var r = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotImplemented, r.StatusCode);
            Assert.Contains("not implemented", (await Read(r)).GetProperty("error").GetString());
        }
        string metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("edge_requests_total{method=\"REST POST /v1/models/{name}/classify\",status=\"200\"}", metrics);
        Assert.Contains("edge_model_load_events_total{model=\"fmnist\",version=\"1\",event=\"loaded\"} 1", metrics);
    }
}
