using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Edge.Serve.Tests.Services;

/// <summary>The v2 REST paths on the HTTP/1.1 port (JSON transcoding), plus /metrics.</summary>
[Collection(ServerCollection.Name)]
public sealed class RestTranscodingTests(ServerFixture fx)
{
    private HttpClient Http() => new() { BaseAddress = new Uri(fx.Server.HttpAddress), DefaultRequestVersion = HttpVersion.Version11 };

    [Fact]
    public async Task Health_and_model_metadata_paths()
    {
        using var http = Http();
        Assert.True((await http.GetFromJsonAsync<JsonElement>("/v2/health/live")).GetProperty("live").GetBoolean());
        Assert.True((await http.GetFromJsonAsync<JsonElement>("/v2/health/ready")).GetProperty("ready").GetBoolean());
        Assert.True((await http.GetFromJsonAsync<JsonElement>("/v2/models/fmnist/ready")).GetProperty("ready").GetBoolean());
        var meta = await http.GetFromJsonAsync<JsonElement>("/v2/models/fmnist");
        Assert.Equal("fmnist", meta.GetProperty("name").GetString());
        Assert.Equal("[-1,1,32,32]", meta.GetProperty("inputs")[0].GetProperty("shape").GetRawText());
        Assert.Equal("edge", (await http.GetFromJsonAsync<JsonElement>("/v2")).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v2/models/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v2/models/fmnist/versions/3")).StatusCode);
    }

    [Fact]
    public async Task Infer_takes_v2_json_and_matches_in_process_inference()
    {
        using var http = Http();
        var image = ServeTestKit.FashionImages[1].Image;
        float[] input = fx.Preprocessor.Run(image);
        var body = new { id = "r1", inputs = new[] { new { name = "input", datatype = "FP32", shape = new[] { 1, 1, 32, 32 }, data = input } } };
        var response = await http.PostAsJsonAsync("/v2/models/fmnist/infer", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("r1", json.GetProperty("id").GetString());
        var output = json.GetProperty("outputs")[0];
        Assert.Equal("logits", output.GetProperty("name").GetString());
        Assert.Equal("[1,10]", output.GetProperty("shape").GetRawText());
        float[] logits = output.GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        InferenceServiceTests.AssertClose(fx.ReferenceLogits(image), logits);

        var bad = await http.PostAsJsonAsync("/v2/models/fmnist/infer", new { inputs = new[] { new { name = "input", datatype = "FP32", shape = new[] { 1, 1, 8, 8 }, data = new float[64] } } });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Classify_over_rest_and_metrics_are_exported()
    {
        using var http = Http();
        var response = await http.PostAsJsonAsync("/v1/models/fmnist/classify", new { image = Convert.ToBase64String(ServeTestKit.FashionImages[2].Png), topK = 2 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, json.GetProperty("predictions").GetArrayLength());

        string metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("edge_requests_total{method=\"edge.serve.v1.ImageClassifier/Classify\",status=\"OK\"}", metrics);
        Assert.Contains("edge_batch_size_bucket", metrics);
        Assert.Contains("edge_queue_duration_seconds", metrics);
        Assert.Contains("edge_model_load_events_total{model=\"fmnist\",version=\"1\",event=\"loaded\"} 1", metrics);
    }
}
